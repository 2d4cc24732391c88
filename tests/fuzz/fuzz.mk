# `make fuzz`: build each harness with clang's libFuzzer, ASan and UBSan,
# and run it for FUZZ_SECONDS. A plain GNU make file, run by the top
# Makefile's fuzz target from the build directory, which passes srcdir,
# FUZZ_CC, FUZZ_CPPFLAGS, FUZZ_LIBS, FUZZ_SOURCES (the libraries' sources)
# and FUZZ_HARNESSES.
#
#   make fuzz                                  every harness, 60 s each
#   make fuzz FUZZ_SECONDS=600 FUZZ_TARGETS=frames
#   make fuzz FUZZ_FLAGS=-runs=0               replay the corpora only
#
# New inputs go to tests/fuzz/work/NAME (the checked-in seeds are read from
# $(srcdir)/tests/fuzz/corpus/NAME and never written); a crash leaves
# tests/fuzz/work/NAME-crash-* and stops the run. A crash input belongs in
# the checked-in corpus once its bug is fixed.

FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= $(FUZZ_HARNESSES)
FUZZ_FLAGS ?=

OUT := tests/fuzz/out
WORK := tests/fuzz/work
SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# Assertions on; the library is not held to -Werror under another compiler.
CFLAGS_FUZZ := -g -O1 $(SAN) -pthread -Wall -Wextra -Wno-unused-parameter -DFERRY_DEBUG=1
OBJS := $(patsubst %.c,$(OUT)/obj/%.o,$(filter %.c,$(FUZZ_SOURCES)))

# --as-needed: a library loaded for nothing may still install signal
# handlers (libfabric's providers do) that turn a crash into an exit.
# Line-based inputs need room for lines over PMI_LINE_MAX.
OPTS_pmi_line := -max_len=16384
OPTS_pmi_server := -max_len=16384
OPTS_frames := -max_len=8192

.PHONY: all build $(addprefix run-,$(FUZZ_TARGETS))
all: $(addprefix run-,$(FUZZ_TARGETS))
build: $(addprefix $(OUT)/,$(FUZZ_TARGETS))

$(OUT)/obj/%.o: $(srcdir)/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CFLAGS_FUZZ) -fsanitize=fuzzer-no-link $(FUZZ_CPPFLAGS) -MMD -MP -c $< -o $@

$(OUT)/libferryfuzz.a: $(OBJS)
	rm -f $@ && ar rcs $@ $^

$(OUT)/%: $(srcdir)/tests/fuzz/%.c $(srcdir)/tests/fuzz/fuzz.h $(OUT)/libferryfuzz.a
	$(FUZZ_CC) $(CFLAGS_FUZZ) -Werror -fsanitize=fuzzer $(FUZZ_CPPFLAGS) $< \
		$(OUT)/libferryfuzz.a -Wl,--as-needed $(FUZZ_LIBS) -o $@

# -close_fd_mask=3: the runtime's diagnostics about bad frames would slow
# the run down; sanitizer reports still come through. -timeout: an input
# that hangs is a finding too (no harness input waits on anything).
$(addprefix run-,$(FUZZ_TARGETS)): run-%: $(OUT)/%
	@mkdir -p $(WORK)/$*
	$(OUT)/$* -max_total_time=$(FUZZ_SECONDS) -timeout=10 -close_fd_mask=3 -print_final_stats=1 \
		-artifact_prefix=$(WORK)/$*- $(OPTS_$*) $(FUZZ_FLAGS) \
		$(WORK)/$* $(srcdir)/tests/fuzz/corpus/$*

-include $(OBJS:.o=.d)
