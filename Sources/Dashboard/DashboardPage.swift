import Foundation

/// The dashboard page, rendered on the server from one `DashboardStatus`:
/// self-contained HTML (inline CSS, inline SVG, no external resources).
struct DashboardPage {
    var status: DashboardStatus
    /// Live pages poll `/api/status` and swap in a fresh page when it changes;
    /// snapshots are static.
    var live: Bool

    /// Earlier epochs shown in the gallery strip; older ones are only counted.
    static let stripEpochs = 24
    /// Events listed, newest first.
    static let shownEvents = 50

    func html() -> String {
        let title = status.runName.isEmpty ? "Herd" : "Herd · \(status.runName)"
        var out = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        out += "<title>\(HTML.escape(title))</title><link rel=\"icon\" href=\"data:,\">"
        out += "<style>\(Self.css)</style>"
        if live {
            out += "<script>\(Self.script)</script>"
            out += "<noscript><meta http-equiv=\"refresh\" content=\"10\"></noscript>"
        }
        out += "</head><body>\n<main id=\"dash\">"
        out += header(title)
        out += progress()
        out += losses()
        out += workers()
        out += gallery()
        out += events()
        out += settings()
        out += "</main>\n</body></html>\n"
        return out
    }

    private func header(_ title: String) -> String {
        var out = "<header><h1>\(HTML.escape(title))</h1>"
        out += "<span class=\"phase \(status.phase.rawValue)\">\(HTML.escape(phaseText))</span>"
        out += "<span class=\"updated\">"
        if let updated = status.updatedAt { out += "updated \(HTML.time(updated))" }
        if !live { out += " · snapshot" }
        out += "<span class=\"offline-note\"> · connection lost, retrying…</span></span></header>\n"
        return out
    }

    private var phaseText: String {
        switch status.phase {
        case .starting: return "starting"
        case .waitingForWorkers: return "waiting for workers"
        case .training: return "training"
        case .finished: return "finished"
        case .failed: return "failed"
        }
    }

    private func progress() -> String {
        let percent = status.progress * 100
        var out = "<section class=\"card progress\"><div class=\"bar\" role=\"progressbar\" aria-valuemin=\"0\" aria-valuemax=\"100\" aria-valuenow=\"\(HTML.fixed(percent, 1))\">"
        out += "<div style=\"width:\(HTML.fixed(percent, 2))%\"></div></div>"
        out += "<div class=\"facts\">"
        out += fact("progress", HTML.fixed(percent, 1) + " %")
        out += fact("epoch", "\(status.epoch) / \(status.totalEpochs)")
        out += fact("step in epoch", "\(HTML.grouped(status.stepInEpoch)) / \(HTML.grouped(status.stepsPerEpoch))")
        out += fact("global step", HTML.grouped(status.globalStep))
        out += fact("samples/s", HTML.fixed(status.samplesPerSecond, 2))
        out += fact("ETA", status.etaSeconds.map(HTML.duration) ?? "–")
        out += fact("batch", status.batchSize > 0 ? "\(status.batchSize)" : "–")
        // Always scientific: the rate decays across decades, one format reads steadily.
        out += fact("learning rate", status.learningRate.map { HTML.scientific($0, digits: 3) } ?? "–")
        out += "</div></section>\n"
        return out
    }

    private func fact(_ label: String, _ value: String) -> String {
        "<div><span class=\"label\">\(HTML.escape(label))</span><span class=\"value\">\(HTML.escape(value))</span></div>"
    }

    private func losses() -> String {
        let history = status.losses
        var out = "<section class=\"card\"><h2>Losses"
        if history.stride > 1 { out += " <small>(each point: mean of \(history.stride) steps)</small>" }
        out += "</h2><div class=\"charts\">"
        let points = history.points
        for (k, term) in LossValues.names.enumerated() {
            let series = points.map { (step: $0.step, count: $0.count, value: $0.losses.values[k]) }
            let chart = LossChart(term: term, points: series, color: LossChart.color(for: term))
            out += "<figure>\(chart.svg())<figcaption><span>\(HTML.escape(term))</span>"
            if let latest = history.latest { out += "<b>\(HTML.number(latest.losses.values[k]))</b>" }
            out += "</figcaption></figure>"
        }
        out += "</div></section>\n"
        return out
    }

    private func workers() -> String {
        var out = "<section class=\"card\"><h2>Workers <small>(\(status.workers.filter { $0.state == .active }.count) active)</small></h2>"
        guard !status.workers.isEmpty else { return out + "<p class=\"none\">No workers yet.</p></section>\n" }
        out += "<div class=\"scroll\"><table class=\"workers\"><thead><tr><th>worker</th><th>address</th><th>state</th><th class=\"num\">batch share</th>"
        out += "<th class=\"num\">step time</th><th class=\"num\">send MB/s</th><th class=\"num\">recv MB/s</th><th>joined</th></tr></thead><tbody>"
        for w in status.workers {
            out += "<tr class=\"worker \(w.state.rawValue)\"><td>\(HTML.escape(w.name))</td><td><code>\(HTML.escape(w.address))</code></td>"
            out += "<td><span class=\"state \(w.state.rawValue)\">\(w.state.rawValue)</span></td>"
            let share = status.batchSize > 0 ? "\(w.batchShare) / \(status.batchSize)" : "\(w.batchShare)"
            out += "<td class=\"num\">\(share)</td>"
            out += "<td class=\"num\">\(w.stepSeconds.map { HTML.fixed($0 * 1000, 0) + " ms" } ?? "–")</td>"
            out += "<td class=\"num\">\(HTML.fixed(w.sendMBps, 1))</td><td class=\"num\">\(HTML.fixed(w.recvMBps, 1))</td>"
            out += "<td>\(HTML.time(w.joinedAt))</td></tr>"
        }
        return out + "</tbody></table></div></section>\n"
    }

    private func gallery() -> String {
        var out = "<section class=\"card\"><h2>Validation</h2>"
        guard let latest = status.gallery.epochs.last else {
            return out + "<p class=\"none\">No validation images yet.</p></section>\n"
        }
        out += "<h3>Epoch \(latest.epoch)"
        if let grid = latest.grid { out += " · <a href=\"\(HTML.escape(imageURL(grid)))\">all rows (grid)</a>" }
        out += "</h3><div class=\"latest\">"
        for image in latest.images { out += figure(image) }
        out += "</div>"
        let earlier = status.gallery.epochs.dropLast().reversed()
        if !earlier.isEmpty {
            out += "<h3>Earlier epochs</h3><div class=\"strip\">"
            for epoch in earlier.prefix(Self.stripEpochs) {
                out += "<div class=\"epoch\"><span>epoch \(epoch.epoch)</span><div>"
                for image in epoch.images {
                    out += "<img src=\"\(HTML.escape(imageURL(image)))\" alt=\"\(HTML.escape(image))\" title=\"\(HTML.escape(image))\" loading=\"lazy\">"
                }
                out += "</div></div>"
            }
            out += "</div>"
        }
        let older = status.gallery.epochCount - 1 - min(earlier.count, Self.stripEpochs)
        if older > 0 {
            out += "<p class=\"none\">\(older) older epochs are in the val directory (val/index.html).</p>"
        }
        return out + "</section>\n"
    }

    private func figure(_ image: String) -> String {
        let name = image.split(separator: "/").last.map(String.init) ?? image
        let caption = name.hasSuffix(".png") ? String(name.dropLast(4)) : name
        return "<figure><img src=\"\(HTML.escape(imageURL(image)))\" alt=\"\(HTML.escape(caption))\"><figcaption>\(HTML.escape(caption))</figcaption></figure>"
    }

    /// Relative, so the page works served at `/` and as a snapshot next to `val/`.
    private func imageURL(_ image: String) -> String { "val/" + image }

    private func events() -> String {
        var out = "<section class=\"card\"><h2>Events</h2>"
        guard !status.events.isEmpty else { return out + "<p class=\"none\">Nothing yet.</p></section>\n" }
        out += "<ol class=\"events\">"
        for event in status.events.suffix(Self.shownEvents).reversed() {
            out += "<li><time>\(HTML.time(event.time))</time><span class=\"kind \(event.kind.rawValue)\">\(event.kind.rawValue)</span>"
            out += "<span>\(HTML.escape(event.message))</span></li>"
        }
        out += "</ol>"
        if status.events.count > Self.shownEvents {
            out += "<p class=\"none\">\(status.events.count - Self.shownEvents) earlier events in /api/status.</p>"
        }
        return out + "</section>\n"
    }

    private func settings() -> String {
        guard !status.settings.isEmpty else { return "" }
        var out = "<section class=\"card\"><details><summary><h2>Configuration</h2></summary><table class=\"settings\"><tbody>"
        for s in status.settings {
            out += "<tr><th><code>\(HTML.escape(s.key))</code></th><td><code>\(HTML.escape(s.value))</code></td></tr>"
        }
        return out + "</tbody></table></details></section>\n"
    }

    static let css = """
        :root{--bg:#f4f5f7;--card:#fff;--ink:#1d2330;--muted:#6a7385;--line:#e3e6ec;--accent:#2f6fdf}
        *{box-sizing:border-box}
        body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
        main{max-width:1240px;margin:0 auto;padding:16px}
        header{display:flex;align-items:baseline;gap:12px;flex-wrap:wrap;margin:4px 0 12px}
        h1{font-size:22px;margin:0}
        h2{font-size:15px;margin:0 0 10px}
        h2 small,h3{font-weight:normal;color:var(--muted)}
        h3{font-size:13px;margin:12px 0 6px}
        .updated{color:var(--muted);font-size:12px;margin-left:auto}
        .offline-note{display:none;color:#c0392b}
        body.offline .offline-note{display:inline}
        .phase{padding:2px 10px;border-radius:999px;font-size:12px;background:#e3e6ec}
        .phase.training{background:#dcebff;color:#174ea6}
        .phase.finished{background:#d7f3e3;color:#176a3a}
        .phase.failed{background:#fde0dc;color:#a52714}
        .phase.waiting-for-workers{background:#fff1cc;color:#7a5b00}
        .card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px;margin-bottom:14px}
        .bar{height:14px;background:#e8ebf0;border-radius:7px;overflow:hidden}
        .bar>div{height:100%;background:linear-gradient(90deg,#2f6fdf,#4f8ff7)}
        .facts{display:flex;flex-wrap:wrap;gap:8px 28px;margin-top:10px}
        .facts div{display:flex;flex-direction:column}
        .label{font-size:11px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
        .value{font-size:17px;font-variant-numeric:tabular-nums}
        .charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:10px}
        .charts figure{margin:0;border:1px solid var(--line);border-radius:8px;padding:6px 8px 4px}
        .charts figcaption{display:flex;justify-content:space-between;font-size:13px}
        .charts figcaption b{font-variant-numeric:tabular-nums}
        svg.chart{width:100%;height:auto;display:block}
        .plot{fill:#fafbfc;stroke:var(--line)}
        .grid{stroke:#e8ebf0;stroke-dasharray:3 3}
        .tick{font-size:10px;fill:var(--muted)}
        .empty{font-size:12px;fill:var(--muted)}
        table{border-collapse:collapse;width:100%}
        th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);white-space:nowrap}
        th{font-size:11px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600}
        .num{text-align:right;font-variant-numeric:tabular-nums}
        .scroll{overflow-x:auto}
        .state{padding:1px 8px;border-radius:999px;font-size:12px;background:#e3e6ec}
        .state.active{background:#d7f3e3;color:#176a3a}
        .state.joining{background:#fff1cc;color:#7a5b00}
        .state.lost{background:#fde0dc;color:#a52714}
        tr.left,tr.lost{color:var(--muted)}
        .latest{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:10px}
        .latest figure{margin:0}
        .latest img{width:100%;border-radius:6px;display:block;background:#e8ebf0;image-rendering:pixelated}
        .latest figcaption{font-size:12px;color:var(--muted);text-align:center;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
        .strip{display:flex;gap:12px;overflow-x:auto;padding-bottom:6px}
        .strip .epoch{flex:none}
        .strip span{font-size:11px;color:var(--muted)}
        .strip .epoch div{display:flex;gap:3px}
        .strip img{height:64px;border-radius:4px;display:block;background:#e8ebf0;image-rendering:pixelated}
        .events{list-style:none;margin:0;padding:0;max-height:320px;overflow-y:auto}
        .events li{display:flex;gap:10px;align-items:baseline;padding:3px 0;border-bottom:1px solid var(--line)}
        .events time{color:var(--muted);font-size:12px;font-variant-numeric:tabular-nums;white-space:nowrap}
        .kind{font-size:11px;padding:0 7px;border-radius:999px;background:#e3e6ec;min-width:78px;text-align:center}
        .kind.join{background:#d7f3e3;color:#176a3a}
        .kind.leave{background:#fff1cc;color:#7a5b00}
        .kind.failure{background:#fde0dc;color:#a52714}
        .kind.checkpoint{background:#e6dcfb;color:#5b2fb0}
        .kind.epoch{background:#dcebff;color:#174ea6}
        .none{color:var(--muted);margin:4px 0}
        details summary{cursor:pointer}
        details summary h2{display:inline;margin:0}
        .settings th{text-transform:none;letter-spacing:0;font-weight:normal}
        code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
        """

    /// Polls `/api/status` every 2 s; when it changed, fetches `/` and swaps
    /// `<main>` (no flicker, scroll kept). Marks the page offline on errors.
    static let script = """
        (function(){var last=null;function tick(){fetch('api/status',{cache:'no-store'}).then(function(r){return r.text()}).then(function(t){document.body.classList.remove('offline');if(last!==null&&t!==last){return fetch('./',{cache:'no-store'}).then(function(r){return r.text()}).then(function(h){var m=new DOMParser().parseFromString(h,'text/html').getElementById('dash');var cur=document.getElementById('dash');if(m&&cur){var open=cur.querySelector('details[open]')!==null;cur.replaceWith(m);if(open){var d=m.querySelector('details');if(d)d.open=true}}last=t})}last=t}).catch(function(){document.body.classList.add('offline')}).then(function(){setTimeout(tick,2000)})}setTimeout(tick,2000)})();
        """
}
