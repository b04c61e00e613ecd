using System.Net;
using System.Text.RegularExpressions;
using InfraSharp.Influence;

namespace InfraSharp.Tests.Reporting;

/// <summary>
/// The report and summary.md state the sign for the measurement the scores were computed with, read from the score
/// folder's manifest: a mean-logprob run's sign explanation never speaks of loss, a loss run's never of likelihood.
/// </summary>
public class ReportSignTests
{
    /// <summary>The text of the report's element with id <paramref name="id"/> (a paragraph), decoded.</summary>
    private static string Paragraph(string html, string id)
    {
        var m = Regex.Match(html, $"<p[^>]* id=\"{id}\"[^>]*>(.*?)</p>", RegexOptions.Singleline);
        Assert.True(m.Success, $"no paragraph #{id} in the report");
        return WebUtility.HtmlDecode(Regex.Replace(m.Groups[1].Value, "<[^>]+>", ""));
    }

    [Theory]
    [InlineData("mean-logprob")]
    [InlineData("loss")]
    public void TheSignExplanationIsTheManifestsMeasurements(string measurement)
    {
        bool loss = measurement == "loss";
        string scores = loss ? FixtureAnalysis.LossScores : FixtureAnalysis.Scores;
        string analysis = loss ? FixtureAnalysis.LossAnalysis : FixtureAnalysis.Analysis;
        var folder = ScoreFolder.Open(scores);
        Assert.Equal(loss ? Measurement.Loss : Measurement.MeanLogProb, folder.Measurement);
        string html = File.ReadAllText(Path.Combine(analysis, "report.html"));
        string sign = Paragraph(html, "sign"),
            readings = Paragraph(html, "readings");
        Assert.Equal(ScoreReading.SignLine(folder.Measurement), sign);
        string explanation = sign + " " + readings;
        if (loss)
        {
            Assert.Contains("lowers the query's loss", explanation);
            Assert.DoesNotContain("likelihood", explanation, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("logprob", explanation, StringComparison.OrdinalIgnoreCase);
        }
        else
        {
            Assert.Contains("raises the mean log-likelihood of the query's answer", explanation);
            Assert.DoesNotContain("loss", explanation, StringComparison.OrdinalIgnoreCase);
            // The predicted change is stated with its n.
            int n = ScoreFiles.ReadExamples(scores).Train.Count;
            Assert.Contains($"Δ = score / {n}", readings);
        }
        Assert.Contains("× self", readings);
        // The introduction as a whole (everything before the first table) holds no other sign wording.
        string intro = html[..html.IndexOf("<h2>", StringComparison.Ordinal)];
        Assert.DoesNotContain(loss ? "likelihood" : "loss", intro, StringComparison.OrdinalIgnoreCase);
        // summary.md leads with the same line.
        string summary = File.ReadAllText(Path.Combine(analysis, "summary.md"));
        Assert.Contains(ScoreReading.SignLine(folder.Measurement), summary);
        Assert.DoesNotContain(ScoreReading.SignLine(loss ? Measurement.MeanLogProb : Measurement.Loss), summary);
    }
}
