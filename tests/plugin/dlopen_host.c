/* A host that loads libgatelink, runs an endpoint until connected, and unloads it again, many
 * times: after every dlclose the library must really be gone (dlopen RTLD_NOLOAD finds nothing).
 * usage: dlopen_host LIBRARY AGENT_CONFIG ROUNDS */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gatelink/gatelink.h"

enum { kConnectWaitMs = 30000, kStepMs = 10 };

/* Everything the host uses, looked up afresh after every load. */
struct api {
  gatelink_endpoint* (*open)(const char*, char*, size_t);
  int (*set_log_callback)(gatelink_log_fn, void*);
  int (*start)(gatelink_endpoint*);
  int (*connected)(gatelink_endpoint*);
  int (*stop)(gatelink_endpoint*);
  int (*close)(gatelink_endpoint*);
};

static unsigned long lines_seen;

static void on_log(void* user, int level, const char* line) {
  (void)user;
  (void)level;
  (void)line;
  ++lines_seen;
}

/* dlsym's object pointer as a function pointer, the way POSIX allows. */
static int lookup(void* library, const char* name, void* function, size_t size) {
  void* symbol = dlsym(library, name);
  if (symbol == NULL) {
    fprintf(stderr, "dlsym %s: %s\n", name, dlerror());
    return 0;
  }
  memcpy(function, &symbol, size);
  return 1;
}

#define LOOKUP(lib, api, field) lookup(lib, "gatelink_" #field, &(api)->field, sizeof (api)->field)

static int one_round(const char* path, const char* config, int round) {
  const struct timespec step = {0, kStepMs * 1000000L};
  struct api api;
  char error[512];
  gatelink_endpoint* endpoint;
  int waited = 0;
  int connected = 0;
  void* library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (library == NULL) {
    fprintf(stderr, "round %d: dlopen: %s\n", round, dlerror());
    return 0;
  }
  if (!LOOKUP(library, &api, open) || !LOOKUP(library, &api, set_log_callback) ||
      !LOOKUP(library, &api, start) || !LOOKUP(library, &api, connected) ||
      !LOOKUP(library, &api, stop) || !LOOKUP(library, &api, close)) {
    return 0;
  }
  api.set_log_callback(on_log, NULL);
  endpoint = api.open(config, error, sizeof error);
  if (endpoint == NULL) {
    fprintf(stderr, "round %d: open: %s\n", round, error);
    return 0;
  }
  api.start(endpoint);
  while (waited < kConnectWaitMs && (connected = api.connected(endpoint)) == 0) {
    nanosleep(&step, NULL);
    waited += kStepMs;
  }
  api.stop(endpoint);
  api.close(endpoint);
  if (connected != 1) {
    fprintf(stderr, "round %d: not connected within %d ms\n", round, kConnectWaitMs);
    return 0;
  }
  if (dlclose(library) != 0) {
    fprintf(stderr, "round %d: dlclose: %s\n", round, dlerror());
    return 0;
  }
  library = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
  if (library != NULL) {
    fprintf(stderr, "round %d: still loaded after dlclose\n", round);
    return 0;
  }
  return 1;
}

int main(int argc, char** argv) {
  int rounds;
  int round;
  if (argc != 4) {
    fprintf(stderr, "usage: %s LIBRARY AGENT_CONFIG ROUNDS\n", argv[0]);
    return 2;
  }
  rounds = atoi(argv[3]);
  for (round = 0; round < rounds; ++round) {
    if (!one_round(argv[1], argv[2], round)) return 1;
  }
  printf("rounds=%d unloaded=%d log_lines=%lu\n", rounds, rounds, lines_seen);
  return 0;
}
