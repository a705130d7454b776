/* Wrap-safe sequence-number comparisons (RFC 9293 §3.4): never compare
 * sequence numbers with a raw `<`. */
#ifndef STACK_TCP_SEQ_H
#define STACK_TCP_SEQ_H

#include <stdint.h>

static inline int32_t tcp_seq_diff(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
}
#define SEQ_LT(a, b)  (tcp_seq_diff((a), (b)) < 0)
#define SEQ_LEQ(a, b) (tcp_seq_diff((a), (b)) <= 0)
#define SEQ_GT(a, b)  (tcp_seq_diff((a), (b)) > 0)
#define SEQ_GEQ(a, b) (tcp_seq_diff((a), (b)) >= 0)

#endif
