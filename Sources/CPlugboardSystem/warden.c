// The host's warden: a process that outlives the host only to kill what the host's plugins left.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "CPlugboardSystem.h"

#define WARDEN_CAPACITY 4096

// The warden's table, in its own copy of this memory (it is filled only after the fork).
static int32_t wardenGroups[WARDEN_CAPACITY];
static char wardenKillFiles[WARDEN_CAPACITY][sizeof(((CPlugboardSystem_WardenRecord *)0)->cgroupKill)];

static void wardenForget(int32_t group) {
    for (int i = 0; i < WARDEN_CAPACITY; i++) {
        if (wardenGroups[i] == group) wardenGroups[i] = 0;
    }
}

static void wardenRemember(const CPlugboardSystem_WardenRecord *record) {
    wardenForget(record->processGroup);
    for (int i = 0; i < WARDEN_CAPACITY; i++) {
        if (wardenGroups[i] == 0) {
            wardenGroups[i] = record->processGroup;
            memcpy(wardenKillFiles[i], record->cgroupKill, sizeof(wardenKillFiles[i]));
            wardenKillFiles[i][sizeof(wardenKillFiles[i]) - 1] = 0;
            return;
        }
    }
}

// Runs in the warden, after the fork: async-signal-safe calls only.
static void wardenRun(int socketFd) {
    static const int ignored[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2};
    struct sigaction ignore;
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    for (unsigned i = 0; i < sizeof ignored / sizeof ignored[0]; i++) sigaction(ignored[i], &ignore, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setpgid(0, 0);  // out of the host's group: a terminal's Ctrl-C is not for it
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
    }
    if (dup2(socketFd, 3) != 3) _exit(1);
    if (syscall(SYS_close_range, 4U, ~0U, 0U) != 0) {
        for (int fd = 4; fd < 65536; fd++) close(fd);
    }
    CPlugboardSystem_WardenRecord record;
    for (;;) {
        ssize_t count = recv(3, &record, sizeof record, 0);
        if (count == (ssize_t)sizeof record) {
            if (record.processGroup <= 1) continue;
            if (record.watch) wardenRemember(&record); else wardenForget(record.processGroup);
        } else if (count == 0) {
            break;  // every write end is closed: the host is gone
        } else if (count < 0 && errno == EINTR) {
            continue;
        } else if (count < 0) {
            break;
        }
    }
    for (int i = 0; i < WARDEN_CAPACITY; i++) {
        if (wardenGroups[i] == 0) continue;
        kill(-wardenGroups[i], SIGKILL);
        if (wardenKillFiles[i][0] != 0) {
            int fd = open(wardenKillFiles[i], O_WRONLY | O_CLOEXEC);
            if (fd >= 0) {
                ssize_t written = write(fd, "1", 1);
                (void)written;
                close(fd);
            }
        }
    }
    _exit(0);
}

int CPlugboardSystem_startWarden(void) {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) return -1;
    pid_t middle = fork();
    if (middle < 0) {
        int saved = errno;
        close(fds[0]);
        close(fds[1]);
        errno = saved;
        return -1;
    }
    if (middle == 0) {
        // The middle child forks the warden and exits at once, so the warden is not the host's
        // child (init or a subreaper adopts it) and the host's own waits never meet it.
        close(fds[1]);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
        pid_t warden = _Fork();  // async-signal-safe, as this child of a threaded host must be
#else
        pid_t warden = fork();
#endif
        if (warden == 0) wardenRun(fds[0]);
        _exit(warden < 0 ? 1 : 0);
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(middle, &status, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        close(fds[1]);
        errno = ECHILD;
        return -1;
    }
    return fds[1];
}

int CPlugboardSystem_tellWarden(int wardenFd, const CPlugboardSystem_WardenRecord *record) {
    ssize_t sent;
    do {
        sent = send(wardenFd, record, sizeof *record, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    return sent == (ssize_t)sizeof *record ? 0 : -1;
}
