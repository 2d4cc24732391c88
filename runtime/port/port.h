/* This rank's port table: the ports it holds receive rights for. Slot 0 is
 * the well-known port. A slot's generation grows each time it is freed, so a
 * name of a destroyed port never matches its successor. */
#ifndef FERRY_PORT_H
#define FERRY_PORT_H

#include <stdint.h>

#include "runtime/port/queue.h"

#define PORT_WELL_KNOWN     0
#define PORT_WELL_KNOWN_GEN 1

struct port_rec {
    uint32_t gen;
    uint8_t alive;
    unsigned qlimit;
    uint64_t recv_seq; /* messages taken by receives so far */
    struct msg_queue unexpected;
    struct req_queue posted;
};

int ports_init(void);
void ports_fini(void);
/* The live port (index, gen) of this rank, or NULL. */
struct port_rec *port_lookup(uint32_t index, uint32_t gen);

/* Frames from transports enter the runtime here (frame.c). */
void frame_arrived(const struct ferry_hdr *h, const void *payload, size_t len);
/* Give a matched message to a receive: copy it or start pulling it. */
void deliver_to_request(struct ferry_request *r, const struct ferry_hdr *h,
                        const struct ferry_rndv *rndv, const void *data);
/* Complete pulls whose bytes have landed; returns how many. */
int pulls_progress(void);
int pulls_active(void);

/* Queue or send a frame to a peer in order (send.c). */
int send_frame(struct ferry_request *r);
int send_control(int peer, uint16_t kind, uint64_t cookie);
int pending_progress(void);
int pending_active(void);
void send_state_free(void);

#endif
