// The network side of `mailwarden diagnose`: resolves HOST, connects to each port in turn with a
// deadline on every step, does the TLS handshakes PortProbe asks for and inspects the server's
// certificate (validity dates, chain against the system store plus --ca-file, name via
// X509_check_host / X509_check_ip_asc). Blocking from the caller's view: one io_context, run to
// completion per port, so the whole diagnosis is bounded by ports × steps × timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "diagnose/probe.hpp"
#include "diagnose/verdict.hpp"

namespace mw::diagnose {

struct PortToProbe {
    PortRole role;
    std::uint16_t port;
};

struct NetworkRequest {
    std::string host;
    std::vector<PortToProbe> ports;  // probed in this order
    ProbeOptions probe;
    std::optional<std::filesystem::path> ca_file;  // trusted in addition to the system store
    std::chrono::seconds timeout{15};              // per connect, handshake, read and write
};

// Fills addresses / resolve_error and ports of `findings`. The error is for local problems
// only (an unreadable --ca-file); everything about the server is in the findings.
Result<bool, std::string> probe_server(const NetworkRequest& request, Findings& findings);

}  // namespace mw::diagnose
