#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "CPlugboardSystem.h"

#ifdef __linux__
#include <sched.h>
#include <sys/prctl.h>

int CPlugboardSystem_usableCPUCount(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
    return CPU_COUNT(&set);
}

int CPlugboardSystem_setParentDeathSignal(int signal) {
    return prctl(PR_SET_PDEATHSIG, signal);
}

void CPlugboardSystem_nameThisThread(const char *name) {
    prctl(PR_SET_NAME, name);
}
#else
int CPlugboardSystem_usableCPUCount(void) {
    return 0;
}

int CPlugboardSystem_setParentDeathSignal(int signal) {
    (void)signal;
    return -1;
}

void CPlugboardSystem_nameThisThread(const char *name) {
    (void)name;
}
#endif

int CPlugboardSystem_pipeCloexec(int fds[2]) {
#ifdef __linux__
    return pipe2(fds, O_CLOEXEC);
#else
    if (pipe(fds) != 0) return -1;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
#endif
}

static int signalPipeWriteEnd = -1;

static void CPlugboardSystem_writeSignalByte(int signal) {
    (void)signal;
    int saved = errno;
    char byte = 1;
    ssize_t ignored = write(signalPipeWriteEnd, &byte, 1);  // async-signal-safe; a full pipe drops it
    (void)ignored;
    errno = saved;
}

int CPlugboardSystem_signalPipe(int signal) {
    int fds[2];
    if (CPlugboardSystem_pipeCloexec(fds) != 0) return -1;
    fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
    signalPipeWriteEnd = fds[1];
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = CPlugboardSystem_writeSignalByte;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    if (sigaction(signal, &action, NULL) != 0) {
        close(fds[0]);
        close(fds[1]);
        signalPipeWriteEnd = -1;
        return -1;
    }
    return fds[0];
}

#ifdef __linux__
#include <sys/socket.h>

int CPlugboardSystem_peerCredentials(int fd, pid_t *pid, uid_t *uid) {
    struct ucred credentials;
    socklen_t length = sizeof credentials;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return -1;
    *pid = credentials.pid;
    *uid = credentials.uid;
    return 0;
}
#else
int CPlugboardSystem_peerCredentials(int fd, pid_t *pid, uid_t *uid) {
    (void)fd; (void)pid; (void)uid;
    errno = ENOSYS;
    return -1;
}
#endif

#ifdef __linux__
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

int CPlugboardSystem_pidfdOpen(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);  // pidfds are always close-on-exec
}
#else
int CPlugboardSystem_pidfdOpen(pid_t pid) {
    (void)pid;
    errno = ENOSYS;
    return -1;
}
#endif

#ifdef __linux__
#include <sys/vfs.h>
#include <linux/magic.h>

int CPlugboardSystem_isTmpfs(const char *path) {
    struct statfs info;
    return statfs(path, &info) == 0 && info.f_type == TMPFS_MAGIC;
}
#else
int CPlugboardSystem_isTmpfs(const char *path) {
    (void)path;
    return 0;
}
#endif
