// A small metrics registry with Prometheus text exposition (format 0.0.4): counters and gauges,
// each family with a fixed list of labels whose values come from fixed sets declared up front.
// Every series is preallocated at construction, so the hot path (add/set) is a hash lookup per
// label and one relaxed atomic operation: no lock, no allocation, and no way for a caller to grow
// the number of series. A label value outside its set is counted under "other" (never a client
// string as a label: that would let a client blow up memory and the scrape).
// Scrapes (render) may run concurrently with updates; each sample is read atomically, the page
// as a whole is not a snapshot (Prometheus does not expect one).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mw::metrics {

enum class Type { Counter, Gauge };

// The value every label set gets in addition to its declared values: where unknown values fold.
inline constexpr std::string_view kOtherValue = "other";
// Upper bound on the preallocated series of one family (product of its label set sizes).
inline constexpr std::size_t kMaxSeriesPerFamily = 4096;
// Content-Type of the exposition page (Prometheus text format 0.0.4).
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

struct LabelSpec {
    std::string name;
    std::vector<std::string> values;  // allowed values, in exposition order; "other" is added
};

struct FamilySpec {
    std::string name;  // counters end in _total (Prometheus naming convention)
    std::string help;
    Type type = Type::Counter;
    std::vector<LabelSpec> labels;
};

class Registry;

// Keeps a sampled gauge registered; unregisters it on destruction. The gauge keeps its last
// sampled value afterwards.
class SampleHandle {
public:
    SampleHandle() = default;
    SampleHandle(SampleHandle&& other) noexcept { *this = std::move(other); }
    SampleHandle& operator=(SampleHandle&& other) noexcept;
    SampleHandle(const SampleHandle&) = delete;
    SampleHandle& operator=(const SampleHandle&) = delete;
    ~SampleHandle();

private:
    friend class Registry;
    SampleHandle(Registry* registry, std::uint64_t id) : registry_(registry), id_(id) {}
    Registry* registry_ = nullptr;
    std::uint64_t id_ = 0;
};

class Registry {
public:
    // Checks every name (metric and label names per the data model, counters ending in _total,
    // no duplicates, no empty or repeated label values, at most kMaxSeriesPerFamily series) and
    // throws std::invalid_argument naming the family and the problem.
    explicit Registry(std::vector<FamilySpec> families);
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;
    ~Registry();

    // `family` is the index in the spec list; `labels` holds one value per declared label, in
    // order. A wrong family index, a wrong label count or a negative counter increment is a
    // programming error: it is ignored here (hot paths must not throw) and reported by
    // misuse_count(), which tests check.
    void add(std::size_t family, std::initializer_list<std::string_view> labels,
             std::int64_t delta = 1) noexcept;
    void set(std::size_t family, std::initializer_list<std::string_view> labels,
             std::int64_t value) noexcept;
    // Shows the series (at 0 if never updated): a series that has never moved is left out of
    // the page, except in families without labels, which always show their one sample.
    void touch(std::size_t family, std::initializer_list<std::string_view> labels) noexcept;
    // A gauge whose value is read from `sample` at every scrape, under the registry's sample
    // lock (so `sample` must be quick and thread-safe). Throws std::invalid_argument on a
    // counter family or a wrong label count.
    [[nodiscard]] SampleHandle sample(std::size_t family,
                                      std::initializer_list<std::string_view> labels,
                                      std::function<std::int64_t()> sample);

    std::int64_t value(std::size_t family, std::initializer_list<std::string_view> labels) const;
    std::uint64_t misuse_count() const noexcept { return misuse_.load(std::memory_order_relaxed); }
    const std::vector<FamilySpec>& families() const noexcept { return specs_; }

    // The page: for each family in declaration order, # HELP, # TYPE, then one line per shown
    // series, in the declared order of label values (first label varies slowest).
    std::string render() const;

private:
    friend class SampleHandle;
    struct Series {
        std::atomic<std::int64_t> value{0};
        std::atomic<bool> shown{false};
    };
    struct Label {
        std::vector<std::string> values;  // declared values, then "other" if not declared
        std::unordered_map<std::string_view, std::uint32_t> index;  // views into `values`
        std::uint32_t other = 0;
    };
    struct Family {
        std::vector<Label> labels;
        std::size_t series_count = 1;
        std::unique_ptr<Series[]> series;
    };
    struct Source {
        std::uint64_t id;
        Series* series;
        std::function<std::int64_t()> sample;
    };

    Series* find(std::size_t family, std::initializer_list<std::string_view> labels) const noexcept;
    void unregister(std::uint64_t id) noexcept;
    void render_family(std::string& out, std::size_t index) const;

    std::vector<FamilySpec> specs_;
    std::vector<Family> families_;
    mutable std::atomic<std::uint64_t> misuse_{0};
    mutable std::mutex sources_mutex_;
    std::vector<Source> sources_;
    std::uint64_t next_source_id_ = 1;
};

// Exposition-format escaping (0.0.4): label values escape \, " and newline; HELP text escapes
// \ and newline.
std::string escape_label_value(std::string_view value);
std::string escape_help(std::string_view help);

}  // namespace mw::metrics
