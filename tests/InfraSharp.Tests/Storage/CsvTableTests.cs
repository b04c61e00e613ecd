using InfraSharp.Curation;
using InfraSharp.Storage;

namespace InfraSharp.Tests.Storage;

/// <summary>RFC 4180 reading: quoted cells with commas, doubled quotes and line breaks; curation reads through
/// it.</summary>
public class CsvTableTests
{
    [Fact]
    public void QuotedCellsKeepTheirCommasQuotesAndLineBreaks()
    {
        var rows = CsvTable.Parse("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\n,,\n");
        Assert.Equal(3, rows.Count);
        Assert.Equal(["a", "b", "c"], rows[0]);
        Assert.Equal(["x, y", "say \"hi\"", "two\nlines"], rows[1]);
        Assert.Equal(["", "", ""], rows[2]);
        Assert.Throws<InvalidDataException>(() => CsvTable.Parse("a\n\"open", "t.csv"));
    }

    [Fact]
    public void AttributeInfluenceReadsGroupsWithCommasFromTheCsv()
    {
        string dir = Fixtures.TempDir();
        File.WriteAllText(
            Path.Combine(dir, "example_level.csv"),
            "query_group,train_group,n,mean\n"
                + "domain=math,\"source=a, b\",3,0.5\n"
                + "domain=code,\"source=a, b\",3,1.5\n"
                + "domain=math,source=c,2,-1\n"
        );
        var means = AttributeInfluence.GroupMeans(dir);
        Assert.Equal(2, means.Count);
        Assert.Equal(1.0, means["source=a, b"], 12);
        Assert.Equal(-1.0, means["source=c"], 12);
    }
}
