#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "CPlugboardSystem.h"

#ifdef __linux__
#include <sys/prctl.h>

int CPlugboardSystem_setParentDeathSignal(int signal) {
    return prctl(PR_SET_PDEATHSIG, signal);
}
#else
int CPlugboardSystem_setParentDeathSignal(int signal) {
    (void)signal;
    return -1;
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
