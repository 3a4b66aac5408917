#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "system_extras.h"

// `file` run with execve: as it is when it holds a slash, else from each directory of `path`
// in turn (an empty one is the working directory), as posix_spawnp and execvp do. Writes
// candidate names into `buffer` (made by the parent: the child allocates nothing). Returns
// the errno to report: EACCES if some candidate had it, else the last one's.
static int exec_in_path(const char *file, char *const argv[], char *const envp[], const char *path,
                        char *buffer) {
    if (*file == '\0') return ENOENT;
    if (strchr(file, '/') != NULL) {
        execve(file, argv, envp);
        return errno;
    }
    int result = ENOENT;
    size_t length = strlen(file);
    for (const char *p = path;; p++) {
        const char *end = strchrnul(p, ':');
        size_t dir = (size_t)(end - p);
        if (dir > 0) {
            memcpy(buffer, p, dir);
            buffer[dir++] = '/';
        }
        memcpy(buffer + dir, file, length + 1);
        execve(buffer, argv, envp);
        switch (errno) {
        case EACCES: result = EACCES; break;
        case ENOENT: case ENOTDIR: case ESTALE: case ENODEV: case ETIMEDOUT:
            if (result != EACCES) result = errno;
            break;
        default: return errno;
        }
        if (*end == '\0') return result;
        p = end;
    }
}

int job_spawn(pid_t *pid, const char *file, char *const argv[], char *const envp[],
              int out, int err, const char *directory, const char *search_path) {
    // Everything the child needs is made here: between vfork and exec it shares our memory and
    // borrows this thread's stack, so it only makes system calls.
    const char *path = search_path != NULL ? search_path : getenv("PATH");
    if (path == NULL) path = "/bin:/usr/bin";
    char *buffer = malloc(strlen(path) + strlen(file) + 2);
    if (buffer == NULL) return ENOMEM;
    // Read once (it is a system call): only the child's fallback for kernels without close_range uses it.
    static long cached_open_max = 0;
    long open_max = __atomic_load_n(&cached_open_max, __ATOMIC_RELAXED);
    if (open_max == 0) {
        open_max = sysconf(_SC_OPEN_MAX);
        __atomic_store_n(&cached_open_max, open_max, __ATOMIC_RELAXED);
    }
    // /dev/null, opened once (close-on-exec) and given to each child as its stdin: opening it
    // in every child was a sixth of the child's time before exec.
    static int cached_null = -1;
    int null_fd = __atomic_load_n(&cached_null, __ATOMIC_ACQUIRE);
    if (null_fd < 0) {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            free(buffer);
            return e;
        }
        int expected = -1;
        if (__atomic_compare_exchange_n(&cached_null, &expected, fd, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            null_fd = fd;
        } else {
            close(fd);   // another thread opened it first
            null_fd = expected;
        }
    }
    // Dispositions a parent may have set to "ignore" (job ignores SIGINT and SIGTERM while it
    // waits for its processes): the child starts with each at its default.
    static const int ignorable[] = {SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGALRM, SIGTERM, SIGUSR1, SIGUSR2,
                                    SIGCHLD, SIGTSTP, SIGTTIN, SIGTTOU, SIGXFSZ, SIGXCPU, SIGWINCH, SIGURG};
    sigset_t reset, all, old, none;
    sigemptyset(&reset);
    for (unsigned i = 0; i < sizeof ignorable / sizeof ignorable[0]; i++) sigaddset(&reset, ignorable[i]);
    sigfillset(&all);
    sigemptyset(&none);
    volatile int child_error = 0;

    // No signal handler may run in the child (it would run on our stack): all are blocked
    // until it has reset each disposition that has one.
    pthread_sigmask(SIG_SETMASK, &all, &old);
    // vfork, not posix_spawn: glibc's posix_spawn maps a fresh stack for each child and unmaps
    // it afterwards, and in a process with several threads every unmap interrupts the other
    // cores to flush their TLBs. That, and the page faults on the new stack, were a third of
    // job's own time per rule.
    pid_t child = vfork();
    if (child == 0) {
        struct sigaction default_action;
        memset(&default_action, 0, sizeof default_action);
        default_action.sa_handler = SIG_DFL;
        for (int sig = 1; sig < NSIG; sig++) {
            if (sig == SIGKILL || sig == SIGSTOP) continue;
            if (sigismember(&reset, sig)) {
                sigaction(sig, &default_action, NULL);
                continue;
            }
            struct sigaction current;
            if (sigaction(sig, NULL, &current) == 0 && current.sa_handler != SIG_IGN && current.sa_handler != SIG_DFL) {
                sigaction(sig, &default_action, NULL);
            }
        }
        // Its own process group (a signal reaches what it starts, and nothing of job's), stdin
        // from /dev/null, stdout and stderr to the given descriptors, nothing else open.
        int e = 0;
        if (setpgid(0, 0) != 0) e = errno;
        if (e == 0) {
            // dup2 clears close-on-exec on the copy; a descriptor that already is 0 keeps it.
            if (null_fd != 0 ? dup2(null_fd, 0) < 0 : fcntl(0, F_SETFD, 0) < 0) e = errno;
        }
        if (e == 0 && dup2(out, 1) < 0) e = errno;
        if (e == 0 && dup2(err, 2) < 0) e = errno;
        if (e == 0 && close_range(3, ~0U, 0) != 0) {
            for (long fd = 3; fd < open_max; fd++) close((int)fd);
        }
        if (e == 0 && directory != NULL && chdir(directory) != 0) e = errno;
        if (e == 0) {
            sigprocmask(SIG_SETMASK, &none, NULL);
            e = exec_in_path(file, argv, envp, path, buffer);
        }
        child_error = e;
        _exit(127);
    }
    int spawn_error = child < 0 ? errno : 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    free(buffer);
    if (spawn_error != 0) return spawn_error;
    if (child_error != 0) {
        // It never ran: reap it here, and report why.
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {}
        return child_error;
    }
    *pid = child;
    return 0;
}
