namespace SignalEngine.LoadTests;

/// <summary>One progress report: seconds since the start, the phase, accepted events/s and the p99 latencies of the last interval.</summary>
public sealed record ProgressSample(double Seconds, string Phase, double EventsPerSecond, double? AckP99Ms, double? PlayP99Ms);

/// <summary>The run as a chart: throughput on the left axis, ack and event→play p99 latency on the right.</summary>
internal static class RunChart
{
    public static void Save(IReadOnlyList<ProgressSample> series, string path, string title)
    {
        var plot = new ScottPlot.Plot();
        plot.Title(title);
        plot.XLabel("seconds since start");
        plot.Axes.Left.Label.Text = "events/s accepted";
        plot.Axes.Right.Label.Text = "p99 latency (ms)";

        var throughput = plot.Add.Scatter(series.Select(s => s.Seconds).ToArray(), series.Select(s => s.EventsPerSecond).ToArray());
        throughput.LegendText = "throughput (events/s)";
        throughput.MarkerSize = 0;
        AddLatency(plot, series, s => s.AckP99Ms, "ack p99 (ms)");
        AddLatency(plot, series, s => s.PlayP99Ms, "event→play p99 (ms)");

        // Shade the warm-up so the measured part stands out.
        if (series.LastOrDefault(s => s.Phase == "warmup") is { } lastWarmup)
        {
            var span = plot.Add.HorizontalSpan(0, lastWarmup.Seconds);
            span.FillStyle.Color = ScottPlot.Colors.Gray.WithAlpha(0.15);
            span.LegendText = "warm-up";
        }
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        plot.SavePng(path, 1200, 600);
    }

    private static void AddLatency(ScottPlot.Plot plot, IReadOnlyList<ProgressSample> series, Func<ProgressSample, double?> value, string label)
    {
        var points = series.Where(s => value(s) is not null).ToList();
        if (points.Count == 0) return;
        var line = plot.Add.Scatter(points.Select(s => s.Seconds).ToArray(), points.Select(s => value(s)!.Value).ToArray());
        line.Axes.YAxis = plot.Axes.Right;
        line.LegendText = label;
        line.MarkerSize = 0;
    }
}
