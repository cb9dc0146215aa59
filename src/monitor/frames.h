/* The monitor's socket protocol, shared with the berth CLI.
 *
 * A client connects to <run-root>/containers/<id>/monitor.sock and sends
 * one line: "attach\n" or "stop <seconds> <signal>\n".  Afterwards both
 * sides exchange frames: one type byte, a 4-byte big-endian length, the
 * data.  A stop client gets "ok\n" once its request is taken and no
 * frames; the monitor keeps its connection until it exits, so end of file
 * after "ok" means "stopped" (before it: refused, as when every client
 * slot is taken). */
#ifndef BERTH_MONITOR_FRAMES_H
#define BERTH_MONITOR_FRAMES_H

#include <stddef.h>
#include <stdint.h>

enum frame_type {
	FRAME_STDIN = 0,   /* client → monitor: input for the container */
	FRAME_STDOUT = 1,  /* monitor → client */
	FRAME_STDERR = 2,
	FRAME_EXIT = 3,    /* the container ended; data: its exit code */
	FRAME_STARTED = 4, /* data: the init's pid */
	FRAME_ERROR = 5,   /* the start failed; data: "<code> <message>" */
	FRAME_STDIN_EOF = 6,
	FRAME_RESIZE = 7,  /* data: "<rows> <cols>" */
};

#define FRAME_HEADER 5
#define FRAME_DATA_MAX 65536

static inline void frame_header(unsigned char h[FRAME_HEADER], enum frame_type t, size_t len)
{
	h[0] = (unsigned char)t;
	h[1] = (unsigned char)(len >> 24);
	h[2] = (unsigned char)(len >> 16);
	h[3] = (unsigned char)(len >> 8);
	h[4] = (unsigned char)len;
}

static inline size_t frame_length(const unsigned char h[FRAME_HEADER])
{
	return (size_t)h[1] << 24 | (size_t)h[2] << 16 | (size_t)h[3] << 8 | h[4];
}

#endif
