// Linux calls Swift cannot make directly (prctl is variadic).
#ifndef CPLUGBOARD_SYSTEM_H
#define CPLUGBOARD_SYSTEM_H

/// Asks the kernel to send `signal` to this process when its parent exits (PR_SET_PDEATHSIG).
/// Returns 0 on success, -1 where unsupported.
int CPlugboardSystem_setParentDeathSignal(int signal);

/// pipe2(fds, O_CLOEXEC): a pipe whose ends no spawned process inherits by accident.
/// Returns 0 on success, -1 with errno set.
int CPlugboardSystem_pipeCloexec(int fds[2]);

#endif
