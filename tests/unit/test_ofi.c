/* The ofi transport's pure parts: addresses as PMI values (split, round
 * trip, malformed input from the store) and FERRY_OFI_PROVIDER matching. */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "transports/ofi/codec.h"
#include "transports/ofi/filter.h"

/* Encode addr into pieces, decode them back, compare. */
static void round_trip(size_t len)
{
    uint8_t *a = malloc(len), *b = calloc(1, len);
    for (size_t i = 0; i < len; i++) a[i] = (uint8_t)(i * 37 + 11);
    int n = ofi_codec_pieces(len);
    CU_ASSERT_EQUAL(n, (int)((len + OFI_CHUNK_HEX / 2 - 1) / (OFI_CHUNK_HEX / 2)));
    char piece[OFI_CHUNK_HEX + OFI_HOST_MAX + 32], host[OFI_HOST_MAX];
    for (int i = 0; i < n; i++) {
        CU_ASSERT_EQUAL_FATAL(ofi_codec_piece(a, len, "node-7.example", i, piece, sizeof piece), 0);
        /* Every piece fits a 1024-byte PMI value and has no space. */
        CU_ASSERT(strlen(piece) < 1024);
        CU_ASSERT_PTR_NULL(strchr(piece, ' '));
        const char *hex = piece;
        size_t off = (size_t)i * (OFI_CHUNK_HEX / 2), got_len = 0;
        if (i == 0) {
            CU_ASSERT_EQUAL_FATAL(ofi_codec_head(piece, &got_len, host, sizeof host, &hex), 0);
            CU_ASSERT_EQUAL(got_len, len);
            CU_ASSERT_STRING_EQUAL(host, "node-7.example");
        }
        size_t cnt = len - off < OFI_CHUNK_HEX / 2 ? len - off : OFI_CHUNK_HEX / 2;
        CU_ASSERT_EQUAL(ofi_codec_hex(hex, b + off, cnt), 0);
    }
    CU_ASSERT_EQUAL(memcmp(a, b, len), 0);
    CU_ASSERT_NOT_EQUAL(ofi_codec_piece(a, len, "h", n, piece, sizeof piece), 0);
    free(a);
    free(b);
}

static void test_round_trip(void)
{
    round_trip(1);
    round_trip(16); /* sockaddr_in, tcp;ofi_rxm */
    round_trip(OFI_CHUNK_HEX / 2);
    round_trip(OFI_CHUNK_HEX / 2 + 1); /* two pieces */
    round_trip(1000);                  /* four pieces */
}

static void test_malformed(void)
{
    size_t len;
    char host[OFI_HOST_MAX];
    const char *hex;
    const char *bad[] = {"",     ":h:00",  "x:h:00", "0:h:",   "4097:h:00",
                         "16:h", "16::00", "16h:00", "-1:h:00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT_EQUAL(ofi_codec_head(bad[i], &len, host, sizeof host, &hex), -1);
    /* A host longer than the caller's buffer is refused, not cut. */
    char longhost[600] = "16:";
    memset(longhost + 3, 'a', 500);
    strcpy(longhost + 503, ":00");
    CU_ASSERT_EQUAL(ofi_codec_head(longhost, &len, host, sizeof host, &hex), -1);
    uint8_t out[4];
    CU_ASSERT_EQUAL(ofi_codec_hex("0011223", out, 4), -1);   /* short */
    CU_ASSERT_EQUAL(ofi_codec_hex("001122334", out, 4), -1); /* long */
    CU_ASSERT_EQUAL(ofi_codec_hex("00112g33", out, 4), -1);  /* not hex */
    CU_ASSERT_EQUAL(ofi_codec_hex("00AAbb7f", out, 4), 0);
    CU_ASSERT(out[1] == 0xaa && out[2] == 0xbb && out[3] == 0x7f);
}

static void test_filter(void)
{
    CU_ASSERT_EQUAL(ofi_filter_match(NULL, "tcp;ofi_rxm"), 1);
    CU_ASSERT_EQUAL(ofi_filter_match("", "verbs;ofi_rxm"), 1);
    CU_ASSERT_EQUAL(ofi_filter_match("tcp;ofi_rxm", "tcp;ofi_rxm"), 2);
    CU_ASSERT_EQUAL(ofi_filter_match("tcp", "tcp;ofi_rxm"), 1);
    CU_ASSERT_EQUAL(ofi_filter_match("tcp", "tcp"), 2);
    CU_ASSERT_EQUAL(ofi_filter_match("tcp", "net;ofi_rxm"), 0);
    CU_ASSERT_EQUAL(ofi_filter_match("verbs,tcp", "tcp;ofi_rxm"), 1);
    CU_ASSERT_EQUAL(ofi_filter_match("verbs;ofi_rxm,tcp;ofi_rxm", "tcp;ofi_rxm"), 2);
    CU_ASSERT_EQUAL(ofi_filter_match("tc", "tcp;ofi_rxm"), 0);
    CU_ASSERT_EQUAL(ofi_filter_match("^sockets", "tcp;ofi_rxm"), 1);
    CU_ASSERT_EQUAL(ofi_filter_match("^sockets,udp", "udp;ofi_rxd"), 0);
    CU_ASSERT_EQUAL(ofi_filter_match("^tcp;ofi_rxm", "tcp;ofi_rxm"), 0);
    CU_ASSERT_EQUAL(ofi_filter_match(",", "tcp"), 0);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS) return 1;
    CU_pSuite s = CU_add_suite("ofi", NULL, NULL);
    CU_add_test(s, "address pieces round trip", test_round_trip);
    CU_add_test(s, "malformed addresses", test_malformed);
    CU_add_test(s, "FERRY_OFI_PROVIDER matching", test_filter);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
