#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include "CPlugboardSystem.h"

#ifdef __linux__
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/// What the child reports on the status pipe before it execs (or instead of exec'ing).
enum { SpawnReportCgroup = 1, SpawnReportExec = 2 };

/// What the child needs: read from the parent's memory, which it shares until it execs.
struct SpawnChild {
    const char *path;
    char *const *argv;
    char *const *envp;
    int stdoutFd, stderrFd, cgroupProcsFd, statusFd;
    pid_t hostPid;
    /// Whether the child was born in the cgroup (clone3 with CLONE_INTO_CGROUP).
    int joined;
};

/// The kernel's `struct sigaction` for rt_sigaction (glibc's has a larger mask).
struct KernelSigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    uint64_t mask;
};

/// Writes a (kind, errno) record; async-signal-safe.
static void report(int fd, int kind, int error) {
    int record[2] = {kind, error};
    ssize_t ignored = write(fd, record, sizeof record);
    (void)ignored;
}

/// The child, from clone to execve: async-signal-safe system calls only, on its own stack, and
/// nothing written to memory it may share with the parent (errno aside: the parent's forking
/// thread is suspended until the exec, and reads errno only from the status pipe).
static int runChild(void *context) {
    const struct SpawnChild *child = context;
    // Every disposition to the default, through the system call: glibc's sigaction refuses the
    // two real-time signals it reserves (32 and 33), which a host started with them ignored
    // would otherwise pass on.
    struct KernelSigaction defaults;
    memset(&defaults, 0, sizeof defaults);  // SIG_DFL, no flags, an empty mask
    for (int signal = 1; signal < NSIG; signal++) {
        if (signal != SIGKILL && signal != SIGSTOP) syscall(SYS_rt_sigaction, signal, &defaults, NULL, sizeof defaults.mask);
    }
    setpgid(0, 0);
    if (!child->joined && child->cgroupProcsFd >= 0 && write(child->cgroupProcsFd, "0", 1) != 1) {
        report(child->statusFd, SpawnReportCgroup, errno);
    }
    // Die with the host. The signal comes when the forking *thread* ends, so the host forks
    // from a thread that lives as long as it does.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != child->hostPid) _exit(127);  // the host died before the line above
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0 && devnull != 0) {
        dup2(devnull, 0);
        close(devnull);
    }
    if (dup2(child->stdoutFd, 1) < 0 || dup2(child->stderrFd, 2) < 0) {
        report(child->statusFd, SpawnReportExec, errno);
        _exit(127);
    }
    // Nothing but stdin, stdout and stderr crosses exec, whatever the host forgot to mark.
    syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(child->path, child->argv, child->envp);
    report(child->statusFd, SpawnReportExec, errno);
    _exit(127);
}

/// `struct clone_args` of Linux 5.7 (linux/sched.h clashes with glibc's sched.h) and its flag.
struct CloneArguments {
    uint64_t flags, pidfd, childTid, parentTid, exitSignal, stack, stackSize, tls, setTid, setTidSize, cgroup;
};
#define CPLUGBOARD_CLONE_INTO_CGROUP 0x200000000ULL

#if defined(__x86_64__)
/// clone3, with the child calling `function(context)` on the stack `arguments` names and exiting
/// with its result: the child of a clone with its own stack cannot return through C frames.
/// Returns as the system call does in the parent (the pid, or -errno).
long CPlugboardSystem_clone3(struct CloneArguments *arguments, size_t size, int (*function)(void *), void *context);
__asm__(
    ".text\n"
    ".globl CPlugboardSystem_clone3\n"
    ".hidden CPlugboardSystem_clone3\n"
    ".type CPlugboardSystem_clone3, @function\n"
    "CPlugboardSystem_clone3:\n"
    "    movq %rdx, %r8\n"      // function; r8 and r9 survive the system call
    "    movq %rcx, %r9\n"      // context
    "    movl $435, %eax\n"     // clone3
    "    syscall\n"
    "    testq %rax, %rax\n"
    "    jnz 1f\n"
    "    xorl %ebp, %ebp\n"     // the child: a new stack, 16-byte aligned, and no frames above
    "    movq %r9, %rdi\n"
    "    callq *%r8\n"
    "    movl %eax, %edi\n"
    "    movl $60, %eax\n"      // exit
    "    syscall\n"
    "    hlt\n"
    "1:  retq\n"
    ".size CPlugboardSystem_clone3, .-CPlugboardSystem_clone3\n");
#define CPLUGBOARD_HAS_CLONE3_TRAMPOLINE 1
#endif

/// Starts `runChild` as a new process, without copying the host's memory where it can: the
/// child shares it (CLONE_VM) while the forking thread waits for the exec (CLONE_VFORK), as
/// posix_spawn does, so a host with a large heap pays neither a page-table copy nor the
/// copy-on-write faults after it. The child is born in the cgroup `cgroupDirFd` names when the
/// kernel can (CLONE_INTO_CGROUP, Linux 5.7): joining through `cgroup.procs` afterwards costs a
/// plugin 10-15 ms of start-up (an RCU grace period on the migration's lock). Falls back to
/// clone3 without the cgroup, then to fork, where the kernel or a seccomp profile refuses.
static pid_t startChild(struct SpawnChild *child, int cgroupDirFd) {
    child->joined = 0;
#ifdef CPLUGBOARD_HAS_CLONE3_TRAMPOLINE
    const size_t stackSize = 64 * 1024;
    void *stack = mmap(NULL, stackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack != MAP_FAILED) {
        struct CloneArguments arguments;
        memset(&arguments, 0, sizeof arguments);
        arguments.exitSignal = SIGCHLD;
        arguments.stack = (uint64_t)(uintptr_t)stack;
        arguments.stackSize = stackSize;
        long pid = -ENOSYS;
        int hasClone3 = 1;
        if (cgroupDirFd >= 0) {
            arguments.flags = CLONE_VM | CLONE_VFORK | CPLUGBOARD_CLONE_INTO_CGROUP;
            arguments.cgroup = (uint64_t)cgroupDirFd;
            child->joined = 1;
            pid = CPlugboardSystem_clone3(&arguments, sizeof arguments, runChild, child);
            hasClone3 = pid != -ENOSYS;
        }
        if (pid < 0 && hasClone3) {
            arguments.flags = CLONE_VM | CLONE_VFORK;
            arguments.cgroup = 0;
            child->joined = 0;
            pid = CPlugboardSystem_clone3(&arguments, sizeof arguments, runChild, child);
        }
        munmap(stack, stackSize);  // the child has exec'd or exited: CLONE_VFORK waited for it
        if (pid >= 0) return (pid_t)pid;
        child->joined = 0;
    }
#else
    (void)cgroupDirFd;
#endif
    pid_t pid = fork();
    if (pid == 0) runChild(child);  // does not return
    return pid;
}

pid_t CPlugboardSystem_spawn(
    const char *path, char *const argv[], char *const envp[],
    int stdoutFd, int stderrFd, int cgroupDirFd, int cgroupProcsFd, pid_t hostPid, int *cgroupError
) {
    *cgroupError = 0;
    int status[2];
    if (pipe2(status, O_CLOEXEC) != 0) return -1;
    struct SpawnChild child = {
        .path = path, .argv = argv, .envp = envp, .stdoutFd = stdoutFd, .stderrFd = stderrFd,
        .cgroupProcsFd = cgroupProcsFd, .statusFd = status[1], .hostPid = hostPid, .joined = 0,
    };

    // Block every signal across the clone, so no handler of the host runs in the child (on memory
    // it shares with the host) before the dispositions are reset; the child unblocks them just
    // before exec.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t pid = startChild(&child, cgroupDirFd);
    int startError = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    close(status[1]);
    if (pid < 0) {
        close(status[0]);
        errno = startError;
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
