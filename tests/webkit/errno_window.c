// LD_PRELOAD shim for tests/webkit/errno-window.sh.
//
// Skia's SkSL compiler parses integers as `errno = 0; strtoull(...);` and
// then trusts `errno == 0`. In WebKitGTK's web process that runs on the main
// thread, which JavaScriptCore suspends with SIGUSR1; the handler returns
// from sigsuspend() with errno = EINTR and does not restore errno. A signal
// landing between the two makes SkSL reject "10" as "integer is too large"
// and kill the web process. The window is a few instructions wide, so the
// crash came once in dozens of runs. This shim holds every strtoull() caller
// inside that window for ERRNO_WINDOW_US microseconds (a busy wait through
// the vDSO clock, which never touches errno), so a WebKit configuration that
// still compiles SkSL on the main thread crashes every time.
//
// It also records each process it is loaded into (ERRNO_WINDOW_LOG), so the
// test can check that the web process really ran with it, and each process
// in which WebKit's own library (where Skia is linked) calls strtoull()
// (ERRNO_WINDOW_CALLERS): that is SkSL compiling.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned long long (*real_strtoull)(const char *, char **, int);
static long window_us;
static int caller_logged;

__attribute__((constructor)) static void loaded(void) {
    const char *us = getenv("ERRNO_WINDOW_US");
    window_us = us ? atol(us) : 0;
    const char *log = getenv("ERRNO_WINDOW_LOG");
    char exe[256];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (log && n > 0) {
        exe[n] = '\0';
        FILE *f = fopen(log, "a");
        if (f) {
            fprintf(f, "%d %s\n", getpid(), exe);
            fclose(f);
        }
    }
}

unsigned long long strtoull(const char *text, char **end, int base) {
    if (!real_strtoull)
        real_strtoull = (unsigned long long (*)(const char *, char **, int))dlsym(RTLD_NEXT, "strtoull");
    unsigned long long value = real_strtoull(text, end, base);
    const char *callers = getenv("ERRNO_WINDOW_CALLERS");
    Dl_info info;
    if (callers && !caller_logged && dladdr(__builtin_return_address(0), &info) && info.dli_fname &&
        strstr(info.dli_fname, "libwebkit")) {
        caller_logged = 1;
        FILE *f = fopen(callers, "a");
        if (f) {
            fprintf(f, "%d %s \"%.12s\"\n", getpid(), info.dli_fname, text);
            fclose(f);
        }
    }
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do
        clock_gettime(CLOCK_MONOTONIC, &now);
    while ((now.tv_sec - start.tv_sec) * 1000000L + (now.tv_nsec - start.tv_nsec) / 1000 < window_us);
    return value;
}
