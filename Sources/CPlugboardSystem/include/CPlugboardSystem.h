// Linux calls Swift cannot make directly (prctl is variadic).
#ifndef CPLUGBOARD_SYSTEM_H
#define CPLUGBOARD_SYSTEM_H

#include <sys/types.h>

/// Asks the kernel to send `signal` to this process when its parent exits (PR_SET_PDEATHSIG).
/// Returns 0 on success, -1 where unsupported.
int CPlugboardSystem_setParentDeathSignal(int signal);

/// Names the calling thread (PR_SET_NAME; the kernel keeps 15 bytes), as `ps` and `perf` show it.
void CPlugboardSystem_nameThisThread(const char *name);

/// How many CPUs this thread may run on (sched_getaffinity: `taskset` and cpusets narrow it), or
/// 0 where that can't be read.
int CPlugboardSystem_usableCPUCount(void);

/// 1 when `path` is on a tmpfs (statfs), 0 otherwise or on error.
int CPlugboardSystem_isTmpfs(const char *path);

/// pipe2(fds, O_CLOEXEC): a pipe whose ends no spawned process inherits by accident.
/// Returns 0 on success, -1 with errno set.
int CPlugboardSystem_pipeCloexec(int fds[2]);

/// Installs a handler (sigaction, SA_RESTART) that writes one byte to a close-on-exec pipe each
/// time `signal` arrives, and returns the pipe's read end, or -1 with errno set. The handler is in
/// place when this returns, so no signal is lost to a later registration (a dispatch source
/// registers asynchronously). One signal per process.
int CPlugboardSystem_signalPipe(int signal);

/// Starts a plugin: a child that shares the host's memory until it execs (clone3 with CLONE_VM and
/// CLONE_VFORK on x86-64, as posix_spawn does; fork elsewhere, or where clone3 is refused), born in
/// the cgroup whose directory is open as `cgroupDirFd` where the kernel can (CLONE_INTO_CGROUP,
/// Linux 5.7), then in the child (async-signal-safe calls only) default signal
/// dispositions, its own process group, otherwise that cgroup through its `cgroup.procs` open as
/// `cgroupProcsFd` (both -1 for none), PR_SET_PDEATHSIG(SIGKILL) checked against `hostPid`, /dev/null on stdin,
/// `stdoutFd` and `stderrFd` on 1 and 2, every other descriptor close-on-exec, an empty signal
/// mask, and execve. Call it from a thread that lives as long as the host: the kernel sends the
/// death signal when the forking thread ends.
///
/// Returns the pid once the exec has happened, or -1 with errno set (the exec's errno when the
/// exec failed; that child is reaped). `*cgroupError` is the errno of joining the cgroup, 0 when it
/// worked; the plugin runs either way.
pid_t CPlugboardSystem_spawn(
    const char *path, char *const argv[], char *const envp[],
    int stdoutFd, int stderrFd, int cgroupDirFd, int cgroupProcsFd, pid_t hostPid, int *cgroupError
);

/// The pid and uid of the process at the other end of the unix socket `fd` (SO_PEERCRED: for a
/// connection to a listener, the process that called listen). Returns 0, or -1 with errno set.
int CPlugboardSystem_peerCredentials(int fd, pid_t *pid, uid_t *uid);

/// A pidfd for `pid` (pidfd_open, Linux 5.3): it becomes readable when that process exits, and
/// keeps naming it even if the pid is reused. Returns the descriptor (close-on-exec), or -1 with
/// errno set (ENOSYS where the kernel lacks it, ESRCH when the process is gone).
int CPlugboardSystem_pidfdOpen(pid_t pid);

/// What the host tells its warden about one plugin: watch its process group (and the cgroup whose
/// `cgroup.kill` file is named, or "" for none), or forget it once the host has reaped it.
typedef struct {
    pid_t processGroup;
    int watch;
    char cgroupKill[248];
} CPlugboardSystem_WardenRecord;

/// Starts the host's warden, a process that is not the host's child and does nothing while the
/// host lives. When the host exits, even by SIGKILL, the warden's end of a close-on-exec socket
/// pair closes; it then SIGKILLs every process group it was told to watch, writes "1" to their
/// `cgroup.kill` files, and exits. So a plugin's children die with the host too, not only the
/// plugin (which PR_SET_PDEATHSIG already ends). Returns the host's end (close-on-exec), or -1
/// with errno set.
int CPlugboardSystem_startWarden(void);

/// Sends one record to the warden (never raises SIGPIPE). Returns 0, or -1 with errno set.
int CPlugboardSystem_tellWarden(int wardenFd, const CPlugboardSystem_WardenRecord *record);

#endif
