// SIGTERM and SIGINT as a request to stop: the handler only stores the signal number in a
// volatile sig_atomic_t (async-signal-safe); a second signal, while the first is pending,
// ends the process at once with the signal's default action.
#ifndef STOP_SIGNAL_H
#define STOP_SIGNAL_H

/// From now on SIGTERM and SIGINT set the request (or, the second time, end the process).
void stop_signal_install(void);
/// Back to the default action for both; the request stays readable.
void stop_signal_restore(void);
/// The signal that asked to stop, or 0.
int stop_signal_received(void);

#endif
