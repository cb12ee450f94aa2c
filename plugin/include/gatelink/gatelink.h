/* libgatelink's C ABI: lets a monitoring agent written in any language load the endpoint as a
 * shared library. Open with a configuration file, start, ask for status, stop, close.
 * docs/PLUGIN.md: thread-safety, callbacks, error codes and a complete example host.
 *
 * Thread-safety: any host thread may call any function, except that gatelink_close must be the
 * last call on its endpoint. Callbacks run on threads the library owns (or, for log lines of
 * gatelink_open, on the caller's); from inside a callback only gatelink_status_json,
 * gatelink_connected, gatelink_set_log_level, gatelink_strerror, gatelink_version and
 * gatelink_abi_version may be called: every other function returns GATELINK_E_IN_CALLBACK. */
#ifndef GATELINK_GATELINK_H
#define GATELINK_GATELINK_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* GATELINK_BUILDING is defined (privately) only while the library itself is built. */
#if defined(_WIN32)
#if defined(GATELINK_BUILDING)
#define GATELINK_API __declspec(dllexport)
#else
#define GATELINK_API __declspec(dllimport)
#endif
#elif defined(GATELINK_BUILDING)
#define GATELINK_API __attribute__((visibility("default")))
#else
#define GATELINK_API
#endif

/* The interface revision this header declares. A library with the same SONAME
 * (libgatelink.so.0) whose gatelink_abi_version() is at least this has every function, constant
 * and struct field declared here. */
#define GATELINK_ABI_VERSION 1

/* Return codes: GATELINK_OK or a negative error (gatelink_strerror names it). */
#define GATELINK_OK 0
#define GATELINK_E_INVALID_ARGUMENT (-1) /* a NULL endpoint or buffer, an unknown level */
#define GATELINK_E_STATE (-2)            /* not possible now: started twice, not running … */
#define GATELINK_E_IN_CALLBACK (-3)      /* not allowed from inside a callback */
#define GATELINK_E_TRUNCATED (-4)        /* the buffer was too small; the length says how big */
#define GATELINK_E_NO_MEMORY (-5)
#define GATELINK_E_INTERNAL (-6) /* an unexpected failure inside the library (logged) */

typedef struct gatelink_endpoint gatelink_endpoint;

/* The interface revision of the loaded library (compare with GATELINK_ABI_VERSION). */
GATELINK_API int gatelink_abi_version(void);
/* The library version, e.g. "0.1.0". */
GATELINK_API const char* gatelink_version(void);
/* A short description of a return code; never NULL. */
GATELINK_API const char* gatelink_strerror(int code);

/* Log levels, as the library's lines carry them. */
#define GATELINK_LOG_TRACE 0
#define GATELINK_LOG_DEBUG 1
#define GATELINK_LOG_INFO 2
#define GATELINK_LOG_WARN 3
#define GATELINK_LOG_ERROR 4
#define GATELINK_LOG_CRITICAL 5

/* One log line: `line` is NUL-terminated, without time stamp, level or newline
 * ("event=connected gateway=… role=primary …"); it is valid during the call only. */
typedef void (*gatelink_log_fn)(void* user, int level, const char* line);
/* The host takes over the library's log (all endpoints): while a callback is set the library
 * writes nothing to stderr; fn NULL goes back to stderr. The callback is never called
 * concurrently with itself; once this returns, the previous callback is not running and will
 * not be called again. Lines logged from inside the callback are dropped. */
GATELINK_API int gatelink_set_log_callback(gatelink_log_fn fn, void* user);
/* Lines below `level` are not produced (default GATELINK_LOG_INFO). */
GATELINK_API int gatelink_set_log_level(int level);

/* Reads and checks the configuration file and the certificates, opens the state folder;
 * connects to nothing yet. NULL on failure, with the reason (file:line: what) written to
 * `error` (always NUL-terminated when error_size > 0). */
GATELINK_API gatelink_endpoint* gatelink_open(const char* config_path, char* error,
                                              size_t error_size);

/* What a state change is about (gatelink_state_change.event). */
#define GATELINK_EVENT_CONNECTED 1           /* welcomed by `gateway` */
#define GATELINK_EVENT_FAILOVER 2            /* left `from_gateway` (dead) for `gateway` */
#define GATELINK_EVENT_FAILBACK 3            /* back on the earlier `gateway` after its window */
#define GATELINK_EVENT_RECONNECT 4           /* backoff over: starting again at `gateway` */
#define GATELINK_EVENT_BACKOFF 5             /* every gateway failed: waiting */
#define GATELINK_EVENT_GATEWAY_DEAD 6        /* a probed earlier `from_gateway` failed */
#define GATELINK_EVENT_TOPOLOGY_APPLIED 7    /* a pushed topology is in use at once */
#define GATELINK_EVENT_TOPOLOGY_PENDING 8    /* a new primary must answer first */
#define GATELINK_EVENT_TOPOLOGY_COMMITTED 9  /* the pending topology's primary answered */
#define GATELINK_EVENT_HANDOVER_FAILED 10    /* the pending topology's primary did not, yet */
#define GATELINK_EVENT_TOPOLOGY_IGNORED 11   /* not newer than the one in use */
#define GATELINK_EVENT_TOPOLOGY_REJECTED 12  /* invalid */
#define GATELINK_EVENT_FLAP_DAMPED 13        /* the failback window doubled */
#define GATELINK_EVENT_STANDBY_LOST 14       /* the warm standby to `from_gateway` ended */

/* One state change. Strings are NUL-terminated and valid during the callback only. */
typedef struct gatelink_state_change {
  size_t size;            /* sizeof the struct as the library filled it (fields only grow) */
  int event;              /* GATELINK_EVENT_* */
  const char* event_name; /* "connected", "failover", "topology-committed" … */
  const char* gateway;    /* the gateway moved to or in use ("host:port"), or NULL */
  const char* from_gateway; /* the gateway left, or NULL */
  int position;           /* `gateway`'s place in the order: 0 primary, n failover n; -1 none */
  int gateway_count;      /* how many gateways the topology in use has */
  unsigned long long generation; /* topology generation: in use, or the one the event is about */
  const char* reason;     /* a reason key, peer text escaped ("welcome", "heartbeat-timeout" …) */
} gatelink_state_change;
typedef void (*gatelink_state_fn)(void* user, const gatelink_state_change* change);
/* Called on the endpoint's thread for every state change, in order. Once this returns, the
 * previous callback is not running and will not be called again. fn NULL: no callback. */
GATELINK_API int gatelink_set_state_callback(gatelink_endpoint* endpoint, gatelink_state_fn fn,
                                             void* user);

/* Starts the endpoint's thread and the first connection attempt. Once only: GATELINK_E_STATE
 * when already started or stopped. */
GATELINK_API int gatelink_start(gatelink_endpoint* endpoint);
/* Closes every session (saying goodbye) and joins the endpoint's thread; bounded by the
 * sessions' deadlines. Idempotent; the endpoint can then only be asked for status and closed. */
GATELINK_API int gatelink_stop(gatelink_endpoint* endpoint);
/* 1 while connected to a gateway, 0 when not, or a negative error. */
GATELINK_API int gatelink_connected(gatelink_endpoint* endpoint);
/* 1 when the endpoint's thread ran a probe posted to it within timeout_ms, 0 when it did not
 * (stuck), GATELINK_E_STATE when it is not running. For a watchdog: "alive" means working. */
GATELINK_API int gatelink_alive(gatelink_endpoint* endpoint, unsigned timeout_ms);
/* Writes the status JSON (NUL-terminated) to `buffer` and its length, without the NUL, to
 * `*length` (when length is not NULL). GATELINK_E_TRUNCATED when it did not fit: the buffer
 * holds a terminated prefix and `*length` the size needed (the document may grow by the next
 * call: leave room). */
GATELINK_API int gatelink_status_json(gatelink_endpoint* endpoint, char* buffer, size_t size,
                                      size_t* length);
/* Rebuilds the TLS material from the configured certificate, key, CA and CRL files now, even if
 * they seem unchanged (what the agent does on SIGHUP); renewed files are also picked up on their
 * own. Refused files are logged and shown in status (certificate.reload_error), the material in
 * use stays. GATELINK_E_STATE when the endpoint is not running. */
GATELINK_API int gatelink_reload(gatelink_endpoint* endpoint);
/* Stops if needed and frees the endpoint. NULL is fine. */
GATELINK_API int gatelink_close(gatelink_endpoint* endpoint);

#ifdef __cplusplus
}
#endif

#endif
