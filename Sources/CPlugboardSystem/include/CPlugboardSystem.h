// Linux calls Swift cannot make directly (prctl is variadic).
#ifndef CPLUGBOARD_SYSTEM_H
#define CPLUGBOARD_SYSTEM_H

/// Asks the kernel to send `signal` to this process when its parent exits (PR_SET_PDEATHSIG).
/// Returns 0 on success, -1 where unsupported.
int CPlugboardSystem_setParentDeathSignal(int signal);

/// pipe2(fds, O_CLOEXEC): a pipe whose ends no spawned process inherits by accident.
/// Returns 0 on success, -1 with errno set.
int CPlugboardSystem_pipeCloexec(int fds[2]);

/// Installs a handler (sigaction, SA_RESTART) that writes one byte to a close-on-exec pipe each
/// time `signal` arrives, and returns the pipe's read end, or -1 with errno set. The handler is in
/// place when this returns, so no signal is lost to a later registration (a dispatch source
/// registers asynchronously). One signal per process.
int CPlugboardSystem_signalPipe(int signal);

#endif
