using System.Globalization;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SignalEngine.LoadTests;

/// <summary>
/// Reads a scenario: one flat map of option names to values, in JSON or YAML. Lists (e.g. several
/// targets) become comma-separated values, so a scenario goes through the same checks as the command line.
/// </summary>
public static class ScenarioFile
{
    public static List<(string Key, string Value)> Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new OptionsException($"--scenario: cannot read '{path}': {ex.Message}");
        }
        var extension = Path.GetExtension(path).ToLowerInvariant();
        var isJson = extension == ".json" || (extension is not (".yaml" or ".yml") && text.TrimStart().StartsWith('{'));
        return isJson ? ReadJson(path, text) : ReadYaml(path, text);
    }

    private static List<(string, string)> ReadJson(string path, string text)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new OptionsException($"{path}: not valid JSON: {ex.Message}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw new OptionsException($"{path}: must be a JSON object of option names to values");
            var pairs = new List<(string, string)>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                var value = property.Value;
                pairs.Add((property.Name, value.ValueKind switch
                {
                    JsonValueKind.String => value.GetString()!,
                    JsonValueKind.Number => value.GetRawText(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    JsonValueKind.Array when value.EnumerateArray().All(e => e.ValueKind is JsonValueKind.String or JsonValueKind.Number) =>
                        string.Join(',', value.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText())),
                    _ => throw new OptionsException($"{path}: '{property.Name}' must be a string, number, boolean or list of strings"),
                }));
            }
            return pairs;
        }
    }

    private static List<(string, string)> ReadYaml(string path, string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw new OptionsException($"{path}: not valid YAML (line {ex.Start.Line}): {ex.Message}");
        }
        if (stream.Documents.Count == 0) return [];
        if (stream.Documents[0].RootNode is not YamlMappingNode map) throw new OptionsException($"{path}: must be a YAML map of option names to values");
        var pairs = new List<(string, string)>();
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? throw new OptionsException($"{path}: option names must be plain text (line {keyNode.Start.Line})");
            pairs.Add((key, valueNode switch
            {
                YamlScalarNode scalar => scalar.Value ?? "",
                YamlSequenceNode list when list.Children.All(c => c is YamlScalarNode) =>
                    string.Join(',', list.Children.Cast<YamlScalarNode>().Select(c => c.Value)),
                _ => throw new OptionsException($"{path}: '{key}' (line {valueNode.Start.Line.ToString(CultureInfo.InvariantCulture)}) must be a value or a list of values"),
            }));
        }
        return pairs;
    }
}
