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

// The SASL mechanisms the AUTH keyword lists, strongest first. Client autoconfiguration
// (src/autoconfig) advertises exactly these, so this is the one place that decides them.
std::vector<std::string> auth_mechanisms(bool scram_available);

}  // namespace mw::smtp
