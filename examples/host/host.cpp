// A simulation host shaped like a Geant4 fast-simulation model (G4VFastSimulationModel): particles
// are tracked towards a calorimeter; when one enters it (ModelTrigger) the model asks calogen for a
// shower (DoIt) and places the hits through the detector's placement (local frame -> global) into
// a hit collection keyed by cell id, as a sensitive detector would. Several worker threads, one
// calogen generator each (Geant4's worker threads own their models the same way).
//
// Geant4 itself is not installed here; the classes below keep the shape of its API so the calls
// map one to one (see examples/host/README.md).
//
// Checks: the energy each event deposits equals `calogen generate --format cells` with the same
// seed, shower for shower (a reference file of sums). Then prints the per-call latency through
// the C ABI for batches of 1, 16 and 64 incidents and the throughput of all threads.
//
// Usage: host --model M --incidents FILE --seed S --threads T [--reference SUMS] [--latency N]

#include "calogen.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Vec3 {
  double x, y, z;
};

// The particle being tracked: position (mm, global), unit direction, kinetic energy (MeV), and
// the event it belongs to (the shower index of the reference run).
struct Track {
  Vec3 pos, dir;
  double energy_mev;
  uint64_t event;
};

// The calorimeter's placement in the world: front face at z = front_z_mm, axes parallel to the
// world's (a G4PVPlacement without rotation). Local frame: x, y transverse, z depth from the face.
struct Placement {
  double front_z_mm = 1800.0;
  Vec3 to_global(const CalogenHit& h, const Vec3& entry) const {
    return {entry.x + h.x_mm, entry.y + h.y_mm, front_z_mm + h.z_mm};
  }
};

// A hit collection as a sensitive detector keeps it: energy per cell id.
struct HitCollection {
  std::map<int64_t, double> cells;
  double total = 0;
  void add(int64_t id, double e) {
    cells[id] += e;
    total += e;
  }
};

// The fast-simulation model: G4VFastSimulationModel's IsApplicable / ModelTrigger / DoIt.
class CalogenFastSim {
 public:
  CalogenFastSim(const char* model, uint64_t seed) : seed_(seed) {
    char err[512] = {0};
    if (calogen_generator_new(model, nullptr, CALOGEN_HITS_CELLS, &gen_, err, sizeof err) !=
        CALOGEN_OK) {
      std::fprintf(stderr, "calogen_generator_new(%s): %s\n", model, err);
      std::exit(2);
    }
  }
  ~CalogenFastSim() { calogen_generator_free(gen_); }
  CalogenFastSim(const CalogenFastSim&) = delete;
  CalogenFastSim& operator=(const CalogenFastSim&) = delete;

  // Photons and electrons: the particles the models were trained on.
  bool IsApplicable(int pdg) const { return pdg == 22 || pdg == 11 || pdg == -11; }

  // Triggers once the track has crossed the calorimeter's front face moving inwards.
  bool ModelTrigger(const Track& t, const Placement& p) const {
    return t.pos.z >= p.front_z_mm && t.dir.z > 0;
  }

  // One shower for the track (stream `event` of the seed), its hits placed into `hits`.
  void DoIt(const Track& t, const Placement& p, HitCollection& hits) {
    CalogenIncident inc{};
    inc.energy_mev = static_cast<float>(t.energy_mev);
    inc.direction[0] = static_cast<float>(t.dir.x);
    inc.direction[1] = static_cast<float>(t.dir.y);
    inc.direction[2] = static_cast<float>(t.dir.z);
    check(calogen_generate(gen_, &inc, seed_, t.event), "calogen_generate");
    size_t n = 0;
    // Size query by an empty buffer, then the copy into a buffer of the host's.
    CalogenStatus st = calogen_copy_hits(gen_, nullptr, 0, &n);
    if (st != CALOGEN_ERR_BUFFER_TOO_SMALL && st != CALOGEN_OK) check(st, "size query");
    buf_.resize(n);
    size_t written = 0;
    check(calogen_copy_hits(gen_, buf_.data(), buf_.size(), &written), "calogen_copy_hits");
    Vec3 entry{t.pos.x + t.dir.x / t.dir.z * (p.front_z_mm - t.pos.z),
               t.pos.y + t.dir.y / t.dir.z * (p.front_z_mm - t.pos.z), p.front_z_mm};
    for (size_t k = 0; k < written; ++k) {
      Vec3 g = p.to_global(buf_[k], entry);
      (void)g;  // a real host hands g to its readout; the collection is keyed by cell id
      hits.add(buf_[k].cell_id, buf_[k].energy_mev);
    }
  }

  // A batch of incidents in one model call (queued, then flushed), for the latency table.
  size_t Batch(const std::vector<CalogenIncident>& incs, uint64_t first) {
    for (const auto& i : incs) check(calogen_queue(gen_, &i), "calogen_queue");
    check(calogen_flush(gen_, seed_, first), "calogen_flush");
    CalogenHits* owned = nullptr;
    check(calogen_take_hits(gen_, &owned), "calogen_take_hits");
    size_t n = owned->n_hits;
    calogen_hits_free(owned);
    return n;
  }

 private:
  void check(CalogenStatus st, const char* what) {
    if (st != CALOGEN_OK) {
      std::fprintf(stderr, "%s: status %d: %s\n", what, static_cast<int>(st),
                   calogen_last_error(gen_));
      std::exit(3);
    }
  }
  CalogenGenerator* gen_ = nullptr;
  uint64_t seed_;
  std::vector<CalogenHit> buf_;
};

struct Incident {
  double e_mev, theta_deg, phi_deg;
};

std::vector<Incident> read_incidents(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(2);
  }
  std::vector<Incident> out;
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream s(line);
    Incident i{0, 0, 0};
    if (s >> i.e_mev) {
      s >> i.theta_deg >> i.phi_deg;
      out.push_back(i);
    }
  }
  return out;
}

// The direction as calogen's Incident::from_angles makes it (double trigonometry, then float).
Vec3 direction(const Incident& i) {
  const double d2r = M_PI / 180.0;
  double t = i.theta_deg * d2r, p = i.phi_deg * d2r;
  if (i.theta_deg == 0) return {0, 0, 1};
  return {static_cast<float>(std::cos(p) * std::sin(t)),
          static_cast<float>(std::sin(p) * std::sin(t)), static_cast<float>(std::cos(t))};
}

// The particle gun: starts 100 mm before the calorimeter, steps towards it in 10 mm steps (the
// transport a real host does), and hands the track to the fast simulation when it triggers.
double run_event(CalogenFastSim& model, const Placement& place, const Incident& inc,
                 uint64_t event) {
  Vec3 d = direction(inc);
  Track t{{0, 0, place.front_z_mm - 100.0 * d.z}, d, inc.e_mev, event};
  HitCollection hits;
  if (!model.IsApplicable(22)) return 0;
  while (!model.ModelTrigger(t, place)) {
    t.pos = {t.pos.x + 10 * d.x, t.pos.y + 10 * d.y, t.pos.z + 10 * d.z};
  }
  model.DoIt(t, place, hits);
  return hits.total;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::string model = "caloclouds2", incidents_path, reference;
  uint64_t seed = 0;
  int threads = 2, latency_runs = 0;
  for (int a = 1; a + 1 < argc; a += 2) {
    std::string k = argv[a], v = argv[a + 1];
    if (k == "--model") model = v;
    else if (k == "--incidents") incidents_path = v;
    else if (k == "--seed") seed = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--threads") threads = std::atoi(v.c_str());
    else if (k == "--reference") reference = v;
    else if (k == "--latency") latency_runs = std::atoi(v.c_str());
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  std::printf("calogen %s, model %s, %d thread(s)\n", calogen_version(), model.c_str(), threads);
  std::vector<Incident> incs = read_incidents(incidents_path);
  Placement place;

  // Events spread over the threads (event k on thread k % T), one generator per thread.
  std::vector<double> sums(incs.size(), 0.0);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      CalogenFastSim fs(model.c_str(), seed);
      for (size_t k = t; k < incs.size(); k += threads) sums[k] = run_event(fs, place, incs[k], k);
    });
  }
  for (auto& th : pool) th.join();

  int bad = 0;
  if (!reference.empty()) {
    std::ifstream in(reference);
    std::vector<double> ref;
    double v;
    while (in >> v) ref.push_back(v);
    if (ref.size() != sums.size()) {
      std::fprintf(stderr, "reference has %zu sums, %zu events\n", ref.size(), sums.size());
      return 4;
    }
    for (size_t k = 0; k < ref.size(); ++k) {
      double rel = std::fabs(sums[k] - ref[k]) / std::max(ref[k], 1e-9);
      if (!(rel <= 1e-6)) {
        std::fprintf(stderr, "event %zu: host %.6f MeV, calogen generate %.6f MeV\n", k, sums[k],
                     ref[k]);
        ++bad;
      }
    }
    std::printf("energy sums: %zu events, %d differ from calogen generate\n", ref.size(), bad);
  }

  if (latency_runs > 0) {
    // One thread: per-call latency for one 50 GeV photon, and batches of 16 and 64.
    CalogenFastSim fs(model.c_str(), seed);
    CalogenIncident photon{};
    photon.energy_mev = 50000.0f;
    photon.direction[2] = 1.0f;
    uint64_t index = 0;
    for (int batch : {1, 16, 64}) {
      std::vector<CalogenIncident> b(batch, photon);
      fs.Batch(b, index);  // warm-up
      index += batch;
      std::vector<double> ms;
      int runs = std::max(3, latency_runs / batch);
      for (int r = 0; r < runs; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        fs.Batch(b, index);
        auto t1 = std::chrono::steady_clock::now();
        index += batch;
        ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      }
      double m = median(ms);
      std::printf("latency model=%s batch=%d calls=%d median_ms_per_call=%.3f ms_per_shower=%.3f\n",
                  model.c_str(), batch, runs, m, m / batch);
    }
    // Throughput: every thread its own generator (loaded before the clock starts), single-shower
    // calls.
    int per_thread = std::max(4, latency_runs / 2);
    std::vector<std::unique_ptr<CalogenFastSim>> models;
    for (int t = 0; t < threads; ++t)
      models.push_back(std::make_unique<CalogenFastSim>(model.c_str(), seed));
    std::vector<std::thread> workers;
    auto t0 = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        std::vector<CalogenIncident> one(1, photon);
        for (int k = 0; k < per_thread; ++k)
          models[t]->Batch(one, 1000000 + static_cast<uint64_t>(t * per_thread + k));
      });
    }
    for (auto& th : workers) th.join();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("throughput model=%s threads=%d showers=%d seconds=%.3f showers_per_s=%.2f\n",
                model.c_str(), threads, threads * per_thread, s, threads * per_thread / s);
  }
  return bad == 0 ? 0 : 1;
}
