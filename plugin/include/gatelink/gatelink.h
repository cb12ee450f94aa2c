/* libgatelink's C ABI: lets a monitoring agent written in any language load the endpoint as a
 * shared library. Open with a configuration file, start, ask for status, stop, close. */
#ifndef GATELINK_GATELINK_H
#define GATELINK_GATELINK_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define GATELINK_API __declspec(dllexport)
#else
#define GATELINK_API __attribute__((visibility("default")))
#endif

typedef struct gatelink_endpoint gatelink_endpoint;

/* Reads and checks the configuration file. NULL on failure, with the reason (file:line: what)
 * written to `error` (always NUL-terminated when error_size > 0). */
GATELINK_API gatelink_endpoint* gatelink_open(const char* config_path, char* error,
                                              size_t error_size);
/* Starts connecting. Returns 0, or -1 when the endpoint was already started. */
GATELINK_API int gatelink_start(gatelink_endpoint* endpoint);
/* Closes every session; the endpoint can then only be closed. */
GATELINK_API void gatelink_stop(gatelink_endpoint* endpoint);
/* Writes the status JSON (NUL-terminated, truncated to size) and returns its full length, so a
 * caller can retry with a larger buffer. */
GATELINK_API size_t gatelink_status_json(gatelink_endpoint* endpoint, char* buffer, size_t size);
/* Non-zero while connected to a gateway. */
GATELINK_API int gatelink_connected(gatelink_endpoint* endpoint);
/* Rebuilds the TLS material from the configured certificate, key, CA and CRL files now, even if
 * they seem unchanged (what the agent does on SIGHUP); renewed files are also picked up on their
 * own. Refused files are logged and shown in status (certificate.reload_error), the material in
 * use stays. Returns 0, or -1 when the endpoint is not running. */
GATELINK_API int gatelink_reload(gatelink_endpoint* endpoint);
/* Stops if needed and frees the endpoint. NULL is fine. */
GATELINK_API void gatelink_close(gatelink_endpoint* endpoint);
/* The library version, e.g. "0.1.0". */
GATELINK_API const char* gatelink_version(void);

#ifdef __cplusplus
}
#endif

#endif
