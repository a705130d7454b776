/* Simulated time: an integer count of nanoseconds since the start of a run.
 * Code is given the current time; nothing in sim/ or stack/ reads a clock. */
#ifndef SIM_TIME_H
#define SIM_TIME_H

#include <stdint.h>

typedef int64_t sim_time;

#define SIM_NS  ((sim_time)1)
#define SIM_US  ((sim_time)1000)
#define SIM_MS  ((sim_time)1000000)
#define SIM_SEC ((sim_time)1000000000)
#define SIM_MIN (60 * SIM_SEC)

#define SIM_TIME_NEVER INT64_MAX

#endif
