#include "proxy/metrics/registry.h"

#include <cstdio>
#include <cstdlib>

#include "proxy/metrics/exposition.h"

namespace xks::metrics {

struct Registry::Entry {
  std::string name;
  std::string help;
  std::string_view type;
  std::vector<std::string> labels;
  std::function<void(const Entry&, std::string&)> render;  // appends the samples
};

namespace {

[[noreturn]] void BadName(std::string_view what, std::string_view name) {
  std::fprintf(stderr, "metrics: invalid %.*s name '%.*s'\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(name.size()), name.data());
  std::abort();
}

std::unique_ptr<Registry::Entry> MakeEntry(std::string name, std::string help,
                                           std::string_view type, std::vector<std::string> labels) {
  if (!IsValidMetricName(name)) BadName("metric", name);
  for (const auto& label : labels) {
    if (!IsValidLabelName(label) || label == "le") BadName("label", label);
  }
  auto entry = std::make_unique<Registry::Entry>();
  entry->name = std::move(name);
  entry->help = std::move(help);
  entry->type = type;
  entry->labels = std::move(labels);
  return entry;
}

void RenderHistogram(const Registry::Entry& e, const std::vector<std::string>& values,
                     const Histogram& h, std::string& out) {
  const Histogram::Snapshot s = h.Read();
  const std::string bucket = e.name + "_bucket";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < s.counts.size(); ++i) {
    cumulative += s.counts[i];
    const std::string le = i < h.bounds().size() ? FormatValue(h.bounds()[i]) : "+Inf";
    AppendSample(out, bucket, e.labels, values, static_cast<double>(cumulative), "le", le);
  }
  AppendSample(out, e.name + "_sum", e.labels, values, s.sum);
  AppendSample(out, e.name + "_count", e.labels, values, static_cast<double>(cumulative));
}

}  // namespace

Registry::Registry() = default;
Registry::~Registry() = default;

void Registry::Add(std::unique_ptr<Entry> entry) {
  std::lock_guard lock(mutex_);
  entries_.push_back(std::move(entry));
}

Family<Counter>& Registry::AddCounter(std::string name, std::string help,
                                      std::vector<std::string> labels) {
  auto entry = MakeEntry(std::move(name), std::move(help), "counter", labels);
  auto family = std::make_shared<Family<Counter>>(std::move(labels),
                                                  [] { return std::make_unique<Counter>(); });
  entry->render = [family](const Entry& e, std::string& out) {
    family->ForEach([&](const std::vector<std::string>& values, const Counter& c) {
      AppendSample(out, e.name, e.labels, values, static_cast<double>(c.Value()));
    });
  };
  Add(std::move(entry));
  return *family;
}

Family<Gauge>& Registry::AddGauge(std::string name, std::string help,
                                  std::vector<std::string> labels) {
  auto entry = MakeEntry(std::move(name), std::move(help), "gauge", labels);
  auto family =
      std::make_shared<Family<Gauge>>(std::move(labels), [] { return std::make_unique<Gauge>(); });
  entry->render = [family](const Entry& e, std::string& out) {
    family->ForEach([&](const std::vector<std::string>& values, const Gauge& g) {
      AppendSample(out, e.name, e.labels, values, g.Value());
    });
  };
  Add(std::move(entry));
  return *family;
}

Family<Histogram>& Registry::AddHistogram(std::string name, std::string help,
                                          std::vector<std::string> labels,
                                          std::span<const double> bounds) {
  auto entry = MakeEntry(std::move(name), std::move(help), "histogram", labels);
  std::vector<double> kept(bounds.begin(), bounds.end());
  auto family = std::make_shared<Family<Histogram>>(
      std::move(labels), [kept] { return std::make_unique<Histogram>(kept); });
  entry->render = [family](const Entry& e, std::string& out) {
    family->ForEach([&](const std::vector<std::string>& values, const Histogram& h) {
      RenderHistogram(e, values, h, out);
    });
  };
  Add(std::move(entry));
  return *family;
}

void Registry::AddCallback(std::string name, std::string help, MetricType type,
                           std::vector<std::string> labels, Collect collect) {
  auto entry = MakeEntry(std::move(name), std::move(help),
                         type == MetricType::kCounter ? "counter" : "gauge", std::move(labels));
  entry->render = [collect = std::move(collect)](const Entry& e, std::string& out) {
    collect([&](std::initializer_list<std::string_view> values, double value) {
      const std::vector<std::string> kept(values.begin(), values.end());
      if (kept.size() == e.labels.size()) AppendSample(out, e.name, e.labels, kept, value);
    });
  };
  Add(std::move(entry));
}

std::string Registry::Render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& entry : entries_) {
    AppendHeader(out, entry->name, entry->help, entry->type);
    entry->render(*entry, out);
  }
  return out;
}

}  // namespace xks::metrics
