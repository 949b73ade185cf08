// A strict little XML reader for the generator tests: elements, attributes, text and the five
// predefined entities; no DTD beyond skipping <!DOCTYPE ...>. It throws on anything malformed
// (unbalanced tags, stray '<' or '&'), so a generator that forgets to escape fails the test.
#pragma once

#include <cctype>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mw::test_xml {

struct Element {
    std::string name;
    std::vector<std::pair<std::string, std::string>> attributes;
    std::vector<std::unique_ptr<Element>> children;
    std::string text;  // concatenated character data directly inside this element

    std::string attribute(std::string_view key) const {
        for (const auto& [k, v] : attributes)
            if (k == key) return v;
        return {};
    }
    std::vector<const Element*> all(std::string_view child) const {
        std::vector<const Element*> out;
        for (const auto& c : children)
            if (c->name == child) out.push_back(c.get());
        return out;
    }
    const Element& one(std::string_view child) const {
        auto found = all(child);
        if (found.size() != 1)
            throw std::runtime_error("expected one <" + std::string(child) + "> in <" + name +
                                     ">, found " + std::to_string(found.size()));
        return *found.front();
    }
};

class Parser {
public:
    explicit Parser(std::string_view text) : s_(text) {}

    std::unique_ptr<Element> document() {
        skip_misc();
        auto root = element();
        skip_misc();
        if (pos_ != s_.size()) fail("content after the root element");
        return root;
    }

private:
    [[noreturn]] void fail(const std::string& why) {
        throw std::runtime_error("XML error at " + std::to_string(pos_) + ": " + why);
    }
    bool starts(std::string_view p) const { return s_.substr(pos_).starts_with(p); }
    void skip_space() {
        while (pos_ < s_.size() &&
               (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t'))
            ++pos_;
    }
    void skip_past(std::string_view end) {
        auto at = s_.find(end, pos_);
        if (at == std::string_view::npos) fail("missing " + std::string(end));
        pos_ = at + end.size();
    }
    void skip_misc() {
        for (;;) {
            skip_space();
            if (starts("<?"))
                skip_past("?>");
            else if (starts("<!--"))
                skip_past("-->");
            else if (starts("<!DOCTYPE"))
                skip_past(">");
            else
                return;
        }
    }
    std::string name() {
        auto start = pos_;
        while (pos_ < s_.size() &&
               (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == ':' ||
                s_[pos_] == '-' || s_[pos_] == '_' || s_[pos_] == '.'))
            ++pos_;
        if (start == pos_) fail("expected a name");
        return std::string(s_.substr(start, pos_ - start));
    }
    std::string decode(std::string_view raw) {
        std::string out;
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] == '<') fail("raw '<' in text");
            if (raw[i] != '&') {
                out += raw[i];
                continue;
            }
            auto semi = raw.find(';', i);
            if (semi == std::string_view::npos) fail("unterminated entity");
            auto e = raw.substr(i + 1, semi - i - 1);
            if (e == "amp")
                out += '&';
            else if (e == "lt")
                out += '<';
            else if (e == "gt")
                out += '>';
            else if (e == "quot")
                out += '"';
            else if (e == "apos")
                out += '\'';
            else
                fail("unknown entity &" + std::string(e) + ";");
            i = semi;
        }
        return out;
    }
    std::unique_ptr<Element> element() {
        if (!starts("<")) fail("expected '<'");
        ++pos_;
        auto el = std::make_unique<Element>();
        el->name = name();
        for (;;) {
            skip_space();
            if (starts("/>")) {
                pos_ += 2;
                return el;
            }
            if (starts(">")) {
                ++pos_;
                break;
            }
            auto key = name();
            skip_space();
            if (!starts("=")) fail("expected '=' after attribute " + key);
            ++pos_;
            skip_space();
            if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\'')) fail("expected quote");
            char q = s_[pos_++];
            auto end = s_.find(q, pos_);
            if (end == std::string_view::npos) fail("unterminated attribute");
            el->attributes.emplace_back(key, decode(s_.substr(pos_, end - pos_)));
            pos_ = end + 1;
        }
        for (;;) {
            auto lt = s_.find('<', pos_);
            if (lt == std::string_view::npos) fail("unclosed <" + el->name + ">");
            el->text += decode(s_.substr(pos_, lt - pos_));
            pos_ = lt;
            if (starts("<!--")) {
                skip_past("-->");
            } else if (starts("</")) {
                pos_ += 2;
                auto closing = name();
                if (closing != el->name) fail("</" + closing + "> closes <" + el->name + ">");
                skip_space();
                if (!starts(">")) fail("expected '>'");
                ++pos_;
                return el;
            } else {
                el->children.push_back(element());
            }
        }
    }

    std::string_view s_;
    std::size_t pos_ = 0;
};

inline std::unique_ptr<Element> parse(std::string_view text) {
    return Parser(text).document();
}

}  // namespace mw::test_xml
