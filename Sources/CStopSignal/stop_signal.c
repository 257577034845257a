#include "stop_signal.h"
#include <pthread.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t received = 0;

static void on_signal(int sig) {
    if (received != 0) {
        // Asked twice: stop now, as the default action would have done the first time.
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    received = sig;
}

static void set_action(void (*handler)(int)) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &action, 0);
    sigaction(SIGINT, &action, 0);
}

void stop_signal_install(void) {
    set_action(on_signal);
    // A parent may have blocked them (the mask is inherited); a handler must also receive them.
    sigset_t both;
    sigemptyset(&both);
    sigaddset(&both, SIGTERM);
    sigaddset(&both, SIGINT);
    pthread_sigmask(SIG_UNBLOCK, &both, 0);
}

void stop_signal_restore(void) { set_action(SIG_DFL); }

int stop_signal_received(void) { return received; }
