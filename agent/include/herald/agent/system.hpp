#pragma once
// What the agent learns from the computer it runs on: who is logged in (utmp), on which
// terminals, the host name, and its own org path (its certificate's CN).
#include <string>
#include <vector>

#include "herald/common/text.hpp"

namespace herald::agent {

// The login of the first USER_PROCESS entry in utmp, or "" if nobody is logged in (or
// there is no utmp, as in containers).
std::string logged_in_user();
// The terminal devices ("/dev/pts/3") of `user`'s sessions; of every session if `user`
// is empty.
std::vector<std::string> user_terminals(const std::string& user);
// Where utmp lives, for change notifications (inotify).
std::string utmp_file();
std::string host_name();

// Gives back memory an idle agent no longer needs: free heap pages (malloc_trim) and
// the resident pages of read-only executable file mappings (code run once, at startup
// and in the TLS handshake: OpenSSL is most of it). Those pages are clean copies of the
// library files, so a later use faults them back in from the page cache; nothing is
// lost. Returns the kB released from the resident set (0 if unknown).
long release_idle_memory();
// This process's resident set size in kB (VmRSS), or -1.
long resident_kb();

// The CN of the PEM certificate at `cert_file`. Throws Error(config) naming the file if
// it cannot be read or has no CN.
std::string certificate_common_name(const std::string& cert_file);

// Text from the network made safe for one log line or a terminal (common/text.hpp).
using text::printable;

}  // namespace herald::agent
