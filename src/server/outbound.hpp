// Composition of outbound delivery from the settings: the queue state file, the MX resolver (or
// the relay host), the retry policy and the RemoteDelivery manager. Kept apart from server.cpp so
// the composition root stays readable.
#pragma once

#include <memory>
#include <string>

#include "base/result.hpp"
#include "config/settings.hpp"
#include "delivery/mx_resolver.hpp"
#include "delivery/remote_delivery.hpp"
#include "queue/queue_state.hpp"
#include "spool/spool.hpp"

namespace mw::server {

struct Outbound {
    std::unique_ptr<queue::QueueState> state;
    std::unique_ptr<delivery::MxResolver> resolver;
    std::unique_ptr<delivery::RemoteDelivery> delivery;
};

// Errors name the setting at fault ("outbound.relay_password_file: cannot read ...").
Result<Outbound, std::string> make_outbound(const config::Settings& settings, spool::Spool& spool);

}  // namespace mw::server
