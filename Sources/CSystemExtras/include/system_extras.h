#ifndef SYSTEM_EXTRAS_H
#define SYSTEM_EXTRAS_H
#include <sys/types.h>

/// copy_file_range(2) and the FICLONE ioctl, which glibc declares only under _GNU_SOURCE.
ssize_t job_copy_file_range(int fd_in, int fd_out, size_t len);
int job_reflink(int fd_in, int fd_out);
#endif
