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
#include <sys/prctl.h>

int CPlugboardSystem_setParentDeathSignal(int signal) {
    return prctl(PR_SET_PDEATHSIG, signal);
}

void CPlugboardSystem_nameThisThread(const char *name) {
    prctl(PR_SET_NAME, name);
}
#else
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

// MARK: Spawning a plugin

#ifdef __linux__
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/// What the child reports on the status pipe before it execs (or instead of exec'ing).
enum { SpawnReportCgroup = 1, SpawnReportExec = 2 };

/// `struct clone_args` of Linux 5.7 (linux/sched.h clashes with glibc's sched.h) and its flag.
struct CPlugboardSystem_cloneArgs {
    uint64_t flags, pidfd, childTid, parentTid, exitSignal, stack, stackSize, tls, setTid, setTidSize, cgroup;
};
#define CPLUGBOARD_CLONE_INTO_CGROUP 0x200000000ULL

/// fork, but born in the cgroup `cgroupDirFd` names when the kernel can (clone3 with
/// CLONE_INTO_CGROUP, Linux 5.7): joining through `cgroup.procs` after the fork costs a plugin
/// 10-15 ms of start-up (an RCU grace period on the migration's lock), being born there nothing.
/// `*joined` is 1 in parent and child when that worked; otherwise this is a plain fork.
static pid_t CPlugboardSystem_fork(int cgroupDirFd, int *joined) {
    *joined = 0;
#ifdef SYS_clone3
    if (cgroupDirFd >= 0) {
        struct CPlugboardSystem_cloneArgs args;
        memset(&args, 0, sizeof args);
        args.flags = CPLUGBOARD_CLONE_INTO_CGROUP;
        args.exitSignal = SIGCHLD;
        args.cgroup = (uint64_t)cgroupDirFd;
        long pid = syscall(SYS_clone3, &args, sizeof args);
        if (pid >= 0) {
            *joined = 1;
            return (pid_t)pid;
        }
        // ENOSYS or EINVAL on older kernels, EPERM under some seccomp profiles: fork, and join
        // through cgroup.procs instead.
    }
#endif
    return fork();
}

/// Writes a (kind, errno) record; async-signal-safe.
static void CPlugboardSystem_report(int fd, int kind, int error) {
    int record[2] = {kind, error};
    ssize_t ignored = write(fd, record, sizeof record);
    (void)ignored;
}

pid_t CPlugboardSystem_spawn(
    const char *path, char *const argv[], char *const envp[],
    int stdoutFd, int stderrFd, int cgroupDirFd, int cgroupProcsFd, pid_t hostPid, int *cgroupError
) {
    *cgroupError = 0;
    int status[2];
    if (pipe2(status, O_CLOEXEC) != 0) return -1;

    // Block every signal across the fork, so no handler of the host runs in the child before
    // the dispositions are reset; the child unblocks them just before exec.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    int joined;
    pid_t pid = CPlugboardSystem_fork(cgroupDirFd, &joined);
    if (pid == 0) {
        // The child: async-signal-safe calls only, until execve.
        struct sigaction defaults;
        memset(&defaults, 0, sizeof defaults);
        defaults.sa_handler = SIG_DFL;
        sigemptyset(&defaults.sa_mask);
        for (int signal = 1; signal < NSIG; signal++) {
            if (signal != SIGKILL && signal != SIGSTOP) sigaction(signal, &defaults, NULL);  // EINVAL for reserved ones: fine
        }
        setpgid(0, 0);
        if (!joined && cgroupProcsFd >= 0 && write(cgroupProcsFd, "0", 1) != 1) {
            CPlugboardSystem_report(status[1], SpawnReportCgroup, errno);
        }
        // Die with the host. The signal comes when the forking *thread* ends, so the host forks
        // from a thread that lives as long as it does.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != hostPid) _exit(127);  // the host died before the line above
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0 && devnull != 0) {
            dup2(devnull, 0);
            close(devnull);
        }
        if (dup2(stdoutFd, 1) < 0 || dup2(stderrFd, 2) < 0) {
            CPlugboardSystem_report(status[1], SpawnReportExec, errno);
            _exit(127);
        }
        // Nothing but stdin, stdout and stderr crosses exec, whatever the host forgot to mark.
        syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(path, argv, envp);
        CPlugboardSystem_report(status[1], SpawnReportExec, errno);
        _exit(127);
    }
    int forkError = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    close(status[1]);
    if (pid < 0) {
        close(status[0]);
        errno = forkError;
        return -1;
    }
    // Until EOF (the exec closed the pipe) or an exec failure.
    int execError = 0;
    for (;;) {
        int record[2];
        ssize_t count = read(status[0], record, sizeof record);
        if (count < 0 && errno == EINTR) continue;
        if (count != (ssize_t)sizeof record) break;
        if (record[0] == SpawnReportCgroup) *cgroupError = record[1];
        if (record[0] == SpawnReportExec) execError = record[1];
    }
    close(status[0]);
    if (execError != 0) {
        int ignored;
        while (waitpid(pid, &ignored, 0) < 0 && errno == EINTR) {}
        errno = execError;
        return -1;
    }
    return pid;
}
#else
pid_t CPlugboardSystem_spawn(
    const char *path, char *const argv[], char *const envp[],
    int stdoutFd, int stderrFd, int cgroupDirFd, int cgroupProcsFd, pid_t hostPid, int *cgroupError
) {
    (void)path; (void)argv; (void)envp; (void)stdoutFd; (void)stderrFd; (void)cgroupDirFd; (void)cgroupProcsFd; (void)hostPid;
    *cgroupError = 0;
    errno = ENOSYS;
    return -1;
}
#endif

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
