#!/usr/bin/env python3
"""A Python host of libgatelink through ctypes: proves "any language" can embed the endpoint.

usage: ctypes_host.py LIBRARY AGENT_CONFIG
Loads the library, takes over its log, opens, starts, waits until connected, reads the status
JSON, stops and closes. Exit 0 when it was connected and the status said so."""
import ctypes
import json
import sys
import time

GATELINK_OK = 0
GATELINK_E_TRUNCATED = -4
CONNECT_DEADLINE_S = 30.0
POLL_S = 0.05


def main(library, config):
    lib = ctypes.CDLL(library)
    lib.gatelink_abi_version.restype = ctypes.c_int
    lib.gatelink_version.restype = ctypes.c_char_p
    lib.gatelink_open.restype = ctypes.c_void_p
    lib.gatelink_open.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]
    for name in ("gatelink_start", "gatelink_stop", "gatelink_connected", "gatelink_close"):
        getattr(lib, name).argtypes = [ctypes.c_void_p]
        getattr(lib, name).restype = ctypes.c_int
    lib.gatelink_status_json.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t,
                                         ctypes.POINTER(ctypes.c_size_t)]
    lib.gatelink_status_json.restype = ctypes.c_int
    log_fn = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)
    lib.gatelink_set_log_callback.argtypes = [log_fn, ctypes.c_void_p]
    lib.gatelink_set_log_callback.restype = ctypes.c_int

    print(f"abi {lib.gatelink_abi_version()} version {lib.gatelink_version().decode()}",
          flush=True)

    def on_log(_user, level, line):
        print(f"log level={level} {line.decode(errors='replace')}", flush=True)

    on_log_c = log_fn(on_log)  # kept alive until the callback is unset
    assert lib.gatelink_set_log_callback(on_log_c, None) == GATELINK_OK

    error = ctypes.create_string_buffer(512)
    endpoint = lib.gatelink_open(config.encode(), error, len(error))
    if not endpoint:
        print(f"open failed: {error.value.decode()}", flush=True)
        return 1
    assert lib.gatelink_start(endpoint) == GATELINK_OK
    deadline = time.monotonic() + CONNECT_DEADLINE_S
    while lib.gatelink_connected(endpoint) != 1 and time.monotonic() < deadline:
        time.sleep(POLL_S)
    connected = lib.gatelink_connected(endpoint) == 1

    # Ask for the size first, then leave room: the document may grow between calls.
    length = ctypes.c_size_t(0)
    assert lib.gatelink_status_json(endpoint, None, 0, ctypes.byref(length)) == \
        GATELINK_E_TRUNCATED
    buffer = ctypes.create_string_buffer(length.value + 4096)
    assert lib.gatelink_status_json(endpoint, buffer, len(buffer), ctypes.byref(length)) == \
        GATELINK_OK
    status = json.loads(buffer.value.decode())
    print(f"status state={status['state']} gateway={status.get('gateway')}", flush=True)

    assert lib.gatelink_stop(endpoint) == GATELINK_OK
    assert lib.gatelink_close(endpoint) == GATELINK_OK
    assert lib.gatelink_set_log_callback(log_fn(0), None) == GATELINK_OK
    return 0 if connected and status["state"] == "connected" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
