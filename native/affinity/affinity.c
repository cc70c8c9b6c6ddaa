/*
 * blackhole_affinity: per-thread CPU affinity for Node (plain C, Node-API only).
 *
 * Design. Node has no API for thread affinity. On Linux, sched_setaffinity()
 * and sched_getaffinity() with pid 0 act on the *calling thread* only, so a
 * worker thread that calls setAffinity() pins itself and nothing else; the
 * main thread and the other workers keep their masks. New threads inherit the
 * mask of the thread that creates them.
 *
 * The module is context-aware (NAPI_MODULE_INIT) so it can be loaded by every
 * worker thread; it keeps no global state.
 *
 * CPU sets are allocated with CPU_ALLOC so CPU numbers past glibc's fixed
 * CPU_SETSIZE (1024) work; MAX_CPU is the kernel's NR_CPUS ceiling (8192),
 * matching MAX_CPU_ID in src/concurrency/cpu-topology.ts.
 *
 * Exports:
 *   setAffinity(cpus: number[]): void   sched_setaffinity(0, ...)
 *   getAffinity(): number[]             sched_getaffinity(0, ...)
 *   currentCpu(): number                sched_getcpu()
 * A failing syscall throws an Error whose message carries strerror() text and
 * which has `errno` (number) and `syscall` (string) properties. Off Linux
 * every function throws "not supported", so the addon always compiles.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#ifdef __linux__
#include <sched.h>
#endif

#define MAX_CPU 8192

#ifdef __linux__

/* Throws (unless an exception is already pending) after a Node-API call failed; returns NULL. */
static napi_value api_failed(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, NULL, "blackhole_affinity: a Node-API call failed");
  return NULL;
}

/* Returns from the calling function (with NULL, after throwing) if a Node-API call fails. */
#define CHECK(env, call)                        \
  do {                                          \
    if ((call) != napi_ok) return api_failed(env); \
  } while (0)

/* Throws Error("<syscall> failed: <strerror> (errno N)") with errno/syscall properties. */
static napi_value throw_errno(napi_env env, const char* syscall, int err) {
  char text[256];
  snprintf(text, sizeof text, "%s failed: %s (errno %d)", syscall, strerror(err), err);
  napi_value msg, error, num, name;
  CHECK(env, napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg));
  CHECK(env, napi_create_error(env, NULL, msg, &error));
  CHECK(env, napi_create_int32(env, err, &num));
  CHECK(env, napi_set_named_property(env, error, "errno", num));
  CHECK(env, napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &name));
  CHECK(env, napi_set_named_property(env, error, "syscall", name));
  napi_throw(env, error);
  return NULL;
}

static napi_value set_affinity(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool is_array = false;
  if (argc < 1 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, NULL, "setAffinity cpus must be an array of CPU numbers");
    return NULL;
  }
  uint32_t length = 0;
  CHECK(env, napi_get_array_length(env, argv[0], &length));
  if (length == 0) {
    napi_throw_range_error(env, NULL, "setAffinity cpus must name at least one CPU");
    return NULL;
  }
  cpu_set_t* set = CPU_ALLOC(MAX_CPU);
  if (set == NULL) return throw_errno(env, "CPU_ALLOC", ENOMEM);
  size_t size = CPU_ALLOC_SIZE(MAX_CPU);
  CPU_ZERO_S(size, set);
  for (uint32_t i = 0; i < length; i++) {
    napi_value item;
    double cpu = -1;
    if (napi_get_element(env, argv[0], i, &item) != napi_ok || napi_get_value_double(env, item, &cpu) != napi_ok ||
        !(cpu >= 0 && cpu < MAX_CPU) || cpu != (double)(int)cpu) {
      CPU_FREE(set);
      napi_throw_range_error(env, NULL, "setAffinity cpus must be integers from 0 to 8191");
      return NULL;
    }
    CPU_SET_S((size_t)cpu, size, set);
  }
  int rc = sched_setaffinity(0, size, set);
  int err = errno;
  CPU_FREE(set);
  if (rc != 0) return throw_errno(env, "sched_setaffinity", err);
  return NULL;
}

static napi_value get_affinity(napi_env env, napi_callback_info info) {
  (void)info;
  /* The kernel rejects (EINVAL) a buffer smaller than its own mask: grow until it fits. */
  for (int n = 1024; n <= 1 << 20; n *= 2) {
    cpu_set_t* set = CPU_ALLOC(n);
    if (set == NULL) return throw_errno(env, "CPU_ALLOC", ENOMEM);
    size_t size = CPU_ALLOC_SIZE(n);
    CPU_ZERO_S(size, set);
    if (sched_getaffinity(0, size, set) != 0) {
      int err = errno;
      CPU_FREE(set);
      if (err == EINVAL) continue;
      return throw_errno(env, "sched_getaffinity", err);
    }
    napi_value out;
    if (napi_create_array(env, &out) != napi_ok) {
      CPU_FREE(set);
      return api_failed(env);
    }
    uint32_t k = 0;
    for (int cpu = 0; cpu < n; cpu++) {
      if (!CPU_ISSET_S(cpu, size, set)) continue;
      napi_value v;
      if (napi_create_int32(env, cpu, &v) != napi_ok || napi_set_element(env, out, k++, v) != napi_ok) {
        CPU_FREE(set);
        return api_failed(env);
      }
    }
    CPU_FREE(set);
    return out;
  }
  return throw_errno(env, "sched_getaffinity", EINVAL);
}

static napi_value current_cpu(napi_env env, napi_callback_info info) {
  (void)info;
  int cpu = sched_getcpu();
  if (cpu < 0) return throw_errno(env, "sched_getcpu", errno);
  napi_value out;
  CHECK(env, napi_create_int32(env, cpu, &out));
  return out;
}

#else /* !__linux__ */

static napi_value not_supported(napi_env env, napi_callback_info info) {
  (void)info;
  napi_throw_error(env, NULL, "blackhole_affinity: thread affinity is not supported on this platform (Linux only)");
  return NULL;
}
#define set_affinity not_supported
#define get_affinity not_supported
#define current_cpu not_supported

#endif

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
    { "setAffinity", NULL, set_affinity, NULL, NULL, NULL, napi_enumerable, NULL },
    { "getAffinity", NULL, get_affinity, NULL, NULL, NULL, napi_enumerable, NULL },
    { "currentCpu", NULL, current_cpu, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
