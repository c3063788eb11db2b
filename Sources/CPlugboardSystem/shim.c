#define _GNU_SOURCE
#include <fcntl.h>
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
