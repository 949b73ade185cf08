// The EHLO keyword list (RFC 5321 §4.1.1.1), built from the session limits.
// STARTTLS and AUTH are not advertised: they are not available yet, and advertising an
// extension that then fails would make clients fail instead of falling back.
#pragma once

#include <string>
#include <vector>

namespace mw::smtp {

struct SessionLimits;

// One keyword (with its parameters) per element, in the order they are sent.
std::vector<std::string> ehlo_capabilities(const SessionLimits& limits);

}  // namespace mw::smtp
