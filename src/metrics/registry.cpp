#include "metrics/registry.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <unordered_set>
#include <utility>

namespace mw::metrics {

namespace {

bool is_name_char(char c, bool first, bool colon_ok) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
    if (c == ':') return colon_ok;
    return !first && c >= '0' && c <= '9';
}

// Prometheus data model: metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label names
// [a-zA-Z_][a-zA-Z0-9_]*; label names starting with "__" are reserved.
bool valid_name(std::string_view name, bool colon_ok) {
    if (name.empty()) return false;
    for (std::size_t i = 0; i < name.size(); ++i)
        if (!is_name_char(name[i], i == 0, colon_ok)) return false;
    return true;
}

[[noreturn]] void bad_spec(const std::string& family, const std::string& problem) {
    throw std::invalid_argument("metric family \"" + family + "\": " + problem);
}

void check_spec(const FamilySpec& spec) {
    if (!valid_name(spec.name, true)) bad_spec(spec.name, "not a valid metric name");
    const bool total = spec.name.ends_with("_total");
    if (spec.type == Type::Counter && !total) bad_spec(spec.name, "a counter's name ends in _total");
    if (spec.type == Type::Gauge && total) bad_spec(spec.name, "only counters end in _total");
    if (spec.help.empty()) bad_spec(spec.name, "help text is empty");
    std::unordered_set<std::string_view> label_names;
    std::size_t series = 1;
    for (const auto& label : spec.labels) {
        if (!valid_name(label.name, false) || label.name.starts_with("__"))
            bad_spec(spec.name, "label name \"" + label.name + "\" is not valid");
        if (!label_names.insert(label.name).second)
            bad_spec(spec.name, "label \"" + label.name + "\" is declared twice");
        if (label.values.empty())
            bad_spec(spec.name, "label \"" + label.name + "\" has no values");
        std::unordered_set<std::string_view> values;
        for (const auto& v : label.values) {
            if (v.empty()) bad_spec(spec.name, "label \"" + label.name + "\" has an empty value");
            if (!values.insert(v).second)
                bad_spec(spec.name, "label \"" + label.name + "\" lists \"" + v + "\" twice");
        }
        series *= label.values.size() + 1;
        if (series > kMaxSeriesPerFamily)
            bad_spec(spec.name, "more than " + std::to_string(kMaxSeriesPerFamily) +
                                    " label combinations");
    }
}

void append_int(std::string& out, std::int64_t v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, end);
}

}  // namespace

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out.push_back(c);
    }
    return out;
}

std::string escape_help(std::string_view help) {
    std::string out;
    out.reserve(help.size());
    for (char c : help) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out.push_back(c);
    }
    return out;
}

SampleHandle& SampleHandle::operator=(SampleHandle&& other) noexcept {
    if (this != &other) {
        if (registry_) registry_->unregister(id_);
        registry_ = std::exchange(other.registry_, nullptr);
        id_ = std::exchange(other.id_, 0);
    }
    return *this;
}

SampleHandle::~SampleHandle() {
    if (registry_) registry_->unregister(id_);
}

Registry::Registry(std::vector<FamilySpec> families) : specs_(std::move(families)) {
    std::unordered_set<std::string_view> names;
    for (const auto& spec : specs_) {
        check_spec(spec);
        if (!names.insert(spec.name).second) bad_spec(spec.name, "declared twice");
    }
    families_.resize(specs_.size());
    for (std::size_t f = 0; f < specs_.size(); ++f) {
        auto& family = families_[f];
        family.labels.resize(specs_[f].labels.size());
        for (std::size_t l = 0; l < family.labels.size(); ++l) {
            auto& label = family.labels[l];
            label.values = specs_[f].labels[l].values;
            auto other = std::find(label.values.begin(), label.values.end(), kOtherValue);
            if (other == label.values.end()) label.values.emplace_back(kOtherValue);
            // The map holds views into `values`, which is never resized after this point.
            for (std::uint32_t i = 0; i < label.values.size(); ++i)
                label.index.emplace(label.values[i], i);
            label.other = label.index.at(kOtherValue);
            family.series_count *= label.values.size();
        }
        family.series = std::make_unique<Series[]>(family.series_count);
    }
}

Registry::~Registry() = default;

Registry::Series* Registry::find(std::size_t family,
                                 std::initializer_list<std::string_view> labels) const noexcept {
    if (family >= families_.size() || labels.size() != families_[family].labels.size()) {
        misuse_.fetch_add(1, std::memory_order_relaxed);
        return nullptr;
    }
    const auto& f = families_[family];
    std::size_t index = 0;
    std::size_t l = 0;
    for (auto value : labels) {
        const auto& label = f.labels[l++];
        auto it = label.index.find(value);
        index = index * label.values.size() + (it == label.index.end() ? label.other : it->second);
    }
    return &f.series[index];
}

void Registry::add(std::size_t family, std::initializer_list<std::string_view> labels,
                   std::int64_t delta) noexcept {
    Series* s = find(family, labels);
    if (!s) return;
    if (delta < 0 && specs_[family].type == Type::Counter) {
        misuse_.fetch_add(1, std::memory_order_relaxed);  // counters never go down
        return;
    }
    s->value.fetch_add(delta, std::memory_order_relaxed);
    // Read first: a series that is already shown costs no write to a shared cache line.
    if (!s->shown.load(std::memory_order_relaxed)) s->shown.store(true, std::memory_order_relaxed);
}

void Registry::set(std::size_t family, std::initializer_list<std::string_view> labels,
                   std::int64_t value) noexcept {
    Series* s = find(family, labels);
    if (!s) return;
    if (specs_[family].type == Type::Counter) {
        misuse_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    s->value.store(value, std::memory_order_relaxed);
    if (!s->shown.load(std::memory_order_relaxed)) s->shown.store(true, std::memory_order_relaxed);
}

void Registry::touch(std::size_t family, std::initializer_list<std::string_view> labels) noexcept {
    if (Series* s = find(family, labels)) s->shown.store(true, std::memory_order_relaxed);
}

SampleHandle Registry::sample(std::size_t family, std::initializer_list<std::string_view> labels,
                              std::function<std::int64_t()> sample) {
    if (family >= specs_.size() || specs_[family].type != Type::Gauge)
        throw std::invalid_argument("only a gauge can be sampled");
    Series* s = find(family, labels);
    if (!s) throw std::invalid_argument("metric family \"" + specs_[family].name +
                                        "\": wrong number of label values");
    std::lock_guard lock(sources_mutex_);
    auto id = next_source_id_++;
    sources_.push_back(Source{id, s, std::move(sample)});
    s->shown.store(true, std::memory_order_relaxed);
    return SampleHandle(this, id);
}

void Registry::unregister(std::uint64_t id) noexcept {
    std::lock_guard lock(sources_mutex_);
    std::erase_if(sources_, [id](const Source& s) { return s.id == id; });
}

std::int64_t Registry::value(std::size_t family,
                             std::initializer_list<std::string_view> labels) const {
    const Series* s = find(family, labels);
    return s ? s->value.load(std::memory_order_relaxed) : 0;
}

void Registry::render_family(std::string& out, std::size_t index) const {
    const auto& spec = specs_[index];
    const auto& family = families_[index];
    out += "# HELP ";
    out += spec.name;
    out += ' ';
    out += escape_help(spec.help);
    out += "\n# TYPE ";
    out += spec.name;
    out += spec.type == Type::Counter ? " counter\n" : " gauge\n";
    for (std::size_t i = 0; i < family.series_count; ++i) {
        const Series& s = family.series[i];
        // A family without labels always shows its one sample, at 0 before the first update.
        if (!family.labels.empty() && !s.shown.load(std::memory_order_relaxed)) continue;
        out += spec.name;
        if (!family.labels.empty()) {
            // Decode the series index back into one value per label (first label slowest).
            std::vector<std::uint32_t> picks(family.labels.size());
            std::size_t rest = i;
            for (std::size_t l = family.labels.size(); l-- > 0;) {
                picks[l] = static_cast<std::uint32_t>(rest % family.labels[l].values.size());
                rest /= family.labels[l].values.size();
            }
            out += '{';
            for (std::size_t l = 0; l < family.labels.size(); ++l) {
                if (l) out += ',';
                out += spec.labels[l].name;
                out += "=\"";
                out += escape_label_value(family.labels[l].values[picks[l]]);
                out += '"';
            }
            out += '}';
        }
        out += ' ';
        append_int(out, s.value.load(std::memory_order_relaxed));
        out += '\n';
    }
}

std::string Registry::render() const {
    {
        // Sampled gauges are read now, so the page shows their current values.
        std::lock_guard lock(sources_mutex_);
        for (const auto& source : sources_)
            source.series->value.store(source.sample(), std::memory_order_relaxed);
    }
    std::string out;
    for (std::size_t f = 0; f < specs_.size(); ++f) render_family(out, f);
    return out;
}

}  // namespace mw::metrics
