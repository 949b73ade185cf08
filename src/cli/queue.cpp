// `mailwarden queue list|show|retry|delete|bounce`: the outbound queue (messages with recipients
// on other servers that are not yet sent or bounced). Reading works while the server runs (the
// state is SQLite in WAL mode); retry, delete and bounce are requests the running server takes
// within about a second (or at its next start), so nothing races with a delivery in flight.
#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>

#include "cli/commands.hpp"
#include "queue/queue_state.hpp"
#include "spool/retry.hpp"

namespace mw::cli {
namespace {

struct QueueArgs {
    std::string id;
    bool all = false;
    bool json = false;
};

std::int64_t now_unix() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string span(std::int64_t seconds) {
    if (seconds <= 0) return "0s";
    // Whole minutes are enough past an hour; the exact second only matters up close.
    if (seconds >= 3600) seconds -= seconds % 60;
    return spool::format_duration(std::chrono::seconds(seconds));
}

std::string iso_time(std::int64_t unix_secs) {
    if (unix_secs <= 0) return "";
    std::time_t t = static_cast<std::time_t>(unix_secs);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::unique_ptr<queue::QueueState> open_state(Context& ctx) {
    auto settings = ctx.load_settings();
    std::error_code ec;
    auto file = queue::queue_state_file(settings.data_dir);
    if (!std::filesystem::exists(settings.data_dir, ec))
        throw CommandError{kExitRuntime, "data directory " + settings.data_dir.string() +
                                             " does not exist (has the server ever run?)"};
    try {
        return queue::QueueState::open(file);
    } catch (const std::exception& e) {
        throw CommandError{kExitRuntime, e.what()};
    }
}

std::string last_error(const queue::MessageState& m) {
    std::string out;
    std::int64_t latest = -1;
    for (const auto& r : m.recipients)
        if (r.status == queue::RecipientStatus::Pending && r.last_attempt_at > latest &&
            !r.last_reply.empty()) {
            latest = r.last_attempt_at;
            out = r.last_reply;
        }
    return out;
}

nlohmann::json to_json(const queue::MessageState& m, std::int64_t now) {
    auto rcpts = nlohmann::json::array();
    for (const auto& r : m.recipients)
        rcpts.push_back({{"address", r.address},
                         {"status", std::string(queue::to_string(r.status))},
                         {"attempts", r.attempts},
                         {"last_reply", r.last_reply},
                         {"last_host", r.last_host},
                         {"last_attempt", iso_time(r.last_attempt_at)}});
    return {{"id", m.queue_id},
            {"sender", m.sender},
            {"received", iso_time(m.received_at)},
            {"age_seconds", now - m.received_at},
            {"size", m.size},
            {"attempts", m.attempts},
            {"pending", m.pending()},
            {"next_attempt", iso_time(m.next_attempt_at)},
            {"last_error", last_error(m)},
            {"recipients", rcpts}};
}

int queue_list(Context& ctx, const QueueArgs& args) {
    auto state = open_state(ctx);
    const auto messages = state->list();
    const auto now = now_unix();
    if (args.json) {
        auto out = nlohmann::json::array();
        for (const auto& m : messages) out.push_back(to_json(m, now));
        ctx.io.out << out.dump(2) << "\n";
        return kExitOk;
    }
    if (messages.empty()) {
        ctx.io.out << "the outbound queue is empty\n";
        return kExitOk;
    }
    for (const auto& m : messages) {
        ctx.io.out << m.queue_id << "  age " << span(now - m.received_at) << "  from <"
                   << m.sender << ">  pending " << m.pending() << "/" << m.recipients.size()
                   << "  next attempt "
                   << (m.next_attempt_at <= now ? std::string("now")
                                                : "in " + span(m.next_attempt_at - now))
                   << "\n";
        for (const auto& r : m.recipients)
            if (r.status == queue::RecipientStatus::Pending)
                ctx.io.out << "    " << r.address
                           << (r.last_reply.empty() ? std::string("  (not tried yet)")
                                                    : "  last: " + r.last_reply)
                           << "\n";
    }
    ctx.io.out << messages.size() << (messages.size() == 1 ? " message" : " messages") << "\n";
    return kExitOk;
}

queue::MessageState find_or_fail(queue::QueueState& state, const std::string& id) {
    auto m = state.find(id);
    if (!m)
        throw CommandError{kExitUsage, "no message " + id +
                                           " in the outbound queue (mailwarden queue list shows "
                                           "them)"};
    return *m;
}

int queue_show(Context& ctx, const QueueArgs& args) {
    auto state = open_state(ctx);
    const auto m = find_or_fail(*state, args.id);
    const auto history = state->history(args.id);
    const auto now = now_unix();
    if (args.json) {
        auto j = to_json(m, now);
        auto h = nlohmann::json::array();
        for (const auto& a : history)
            h.push_back({{"at", iso_time(a.at)},
                         {"recipient", a.address},
                         {"host", a.host},
                         {"status", a.status},
                         {"reply", a.reply}});
        j["history"] = h;
        ctx.io.out << j.dump(2) << "\n";
        return kExitOk;
    }
    auto& out = ctx.io.out;
    out << "id:            " << m.queue_id << "\n"
        << "sender:        <" << m.sender << ">\n"
        << "received:      " << iso_time(m.received_at) << " (" << span(now - m.received_at)
        << " ago)\n"
        << "size:          " << m.size << " bytes\n"
        << "attempts:      " << m.attempts << "\n"
        << "next attempt:  "
        << (m.pending() == 0 ? std::string("none")
                             : iso_time(m.next_attempt_at) +
                                   (m.next_attempt_at <= now
                                        ? std::string(" (due now)")
                                        : " (in " + span(m.next_attempt_at - now) + ")"))
        << "\n"
        << "recipients:\n";
    for (const auto& r : m.recipients) {
        out << "  " << r.address << "  " << queue::to_string(r.status) << ", " << r.attempts
            << (r.attempts == 1 ? " attempt" : " attempts") << "\n";
        if (!r.last_reply.empty())
            out << "      last: " << r.last_reply
                << (r.last_host.empty() ? std::string() : " (from " + r.last_host + ")") << "\n";
    }
    out << "history (newest first):\n";
    if (history.empty()) out << "  none yet\n";
    for (const auto& a : history)
        out << "  " << iso_time(a.at) << "  " << a.address << "  " << a.status << "  "
            << (a.host.empty() ? std::string("-") : a.host) << "  " << a.reply << "\n";
    return kExitOk;
}

int queue_request(Context& ctx, const QueueArgs& args, queue::Action action) {
    auto state = open_state(ctx);
    std::string id = args.id;
    if (args.all) {
        if (!id.empty()) throw CommandError{kExitUsage, "give a queue id or --all, not both"};
        id = "*";
    } else {
        if (id.empty()) throw CommandError{kExitUsage, "give a queue id (or --all)"};
        const auto m = find_or_fail(*state, id);
        if (m.pending() == 0)
            throw CommandError{kExitUsage, "message " + id + " has no pending recipients"};
    }
    state->request(id, action, now_unix());
    ctx.io.out << "requested " << queue::to_string(action) << " of "
               << (args.all ? std::string("every queued message") : id)
               << ": the running server acts on it within a few seconds (or when it next starts); "
                  "see its log or mailwarden queue show\n";
    return kExitOk;
}

}  // namespace

void add_queue_commands(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<QueueArgs>();
    auto* queue = app.add_subcommand("queue", "The outbound queue: list, show, retry, delete, bounce");
    queue->require_subcommand(1);

    auto* list = queue->add_subcommand(
        "list", "Messages waiting for other servers: id, age, sender, pending recipients, next "
                "attempt, last error");
    list->add_flag("--json", args->json, "Machine-readable output");
    list->callback([&ctx, args] { ctx.action = [&ctx, args] { return queue_list(ctx, *args); }; });

    auto* show = queue->add_subcommand(
        "show", "One message: envelope, status of every recipient, history of attempts");
    show->add_option("ID", args->id, "Queue id (from queue list)")->required();
    show->add_flag("--json", args->json, "Machine-readable output");
    show->callback([&ctx, args] { ctx.action = [&ctx, args] { return queue_show(ctx, *args); }; });

    auto* retry = queue->add_subcommand("retry", "Attempt delivery now");
    retry->add_option("ID", args->id, "Queue id");
    retry->add_flag("--all", args->all, "Every queued message");
    retry->callback([&ctx, args] {
        ctx.action = [&ctx, args] { return queue_request(ctx, *args, queue::Action::Retry); };
    });

    auto* remove = queue->add_subcommand(
        "delete", "Remove a message from the queue without telling the sender");
    remove->add_option("ID", args->id, "Queue id")->required();
    remove->callback([&ctx, args] {
        ctx.action = [&ctx, args] { return queue_request(ctx, *args, queue::Action::Delete); };
    });

    auto* bounce = queue->add_subcommand(
        "bounce", "Give up now: the sender gets a bounce for every pending recipient");
    bounce->add_option("ID", args->id, "Queue id")->required();
    bounce->callback([&ctx, args] {
        ctx.action = [&ctx, args] { return queue_request(ctx, *args, queue::Action::Bounce); };
    });
    for (auto* sub : {list, show, retry, remove, bounce}) add_global_options(*sub, ctx);
}

}  // namespace mw::cli
