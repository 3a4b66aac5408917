#ifndef SYSTEM_EXTRAS_H
#define SYSTEM_EXTRAS_H
#include <sys/types.h>

/// copy_file_range(2) and the FICLONE ioctl, which glibc declares only under _GNU_SOURCE.
ssize_t job_copy_file_range(int fd_in, int fd_out, size_t len);
int job_reflink(int fd_in, int fd_out);

/// Starts `file` (vfork, execve), looked up along `search_path` (NULL: our PATH) unless it holds
/// a slash, as the leader of a new process group, with default signal dispositions, stdin
/// from /dev/null, stdout and stderr on `out` and `err`, no other descriptor, in `directory`
/// (NULL: ours). 0, or an errno value.
int job_spawn(pid_t *pid, const char *file, char *const argv[], char *const envp[],
              int out, int err, const char *directory, const char *search_path);
#endif
