#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include "system_extras.h"

int job_spawn(pid_t *pid, const char *file, char *const argv[], char *const envp[],
              int out, int err, const char *directory) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) return rc;
    rc = posix_spawnattr_init(&attributes);
    if (rc != 0) { posix_spawn_file_actions_destroy(&actions); return rc; }

    // Its own process group (a signal reaches what it starts, and nothing of job's), default
    // signal dispositions (job ignores SIGINT and SIGTERM while it waits for them), no mask.
    // Only the signals a parent may ignore: resetting all 64 was 64 system calls per process.
    // (glibc resets the ones with a handler by itself.)
    sigset_t ignorable, none;
    sigemptyset(&ignorable);
    int signals[] = {SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGALRM, SIGTERM, SIGUSR1, SIGUSR2, SIGCHLD,
                     SIGTSTP, SIGTTIN, SIGTTOU, SIGXFSZ, SIGXCPU, SIGWINCH, SIGURG};
    for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) sigaddset(&ignorable, signals[i]);
    sigemptyset(&none);
    rc = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    if (rc == 0) rc = posix_spawnattr_setpgroup(&attributes, 0);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(&attributes, &ignorable);
    if (rc == 0) rc = posix_spawnattr_setsigmask(&attributes, &none);

    // stdin from /dev/null, stdout and stderr to the given descriptors, nothing else open.
    if (rc == 0) rc = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, out, 1);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, err, 2);
    if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (rc == 0 && directory != NULL) rc = posix_spawn_file_actions_addchdir_np(&actions, directory);

    if (rc == 0) rc = posix_spawnp(pid, file, &actions, &attributes, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    return rc;
}
