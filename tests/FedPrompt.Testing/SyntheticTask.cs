using FedPrompt.Formats;
using FedPrompt.Tuning.Data;

namespace FedPrompt.Testing;

/// <summary>
/// A small sentiment-like task whose answer depends on the sentence: a sentence with a "good" word is
/// positive, one with a "bad" word negative. A frozen model that a prompt cannot steer scores chance.
/// </summary>
public static class SyntheticTask
{
    // Single tokens in both GPT-2's vocabulary and the engine fixtures' small one.
    static readonly string[] Good = ["profit rose", "sales went up", "orders increased", "the share rose"];
    static readonly string[] Bad = ["profit fell", "sales went down", "orders decreased", "the share fell"];
    static readonly string[] Subjects = ["The company", "Our group", "The bank", "The insurer", "The firm", "The unit"];
    static readonly string[] Tails = ["this quarter", "in 2008", "last year", "in the period"];

    public static List<JsonlRecord> Records(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            bool positive = random.Next(2) == 0;
            var verb = (positive ? Good : Bad)[random.Next(4)];
            // The deciding words end the sentence, where even a random frozen network carries them to the answer.
            var sentence = $"{Subjects[random.Next(Subjects.Length)]} said {Tails[random.Next(Tails.Length)]} {verb}";
            return new JsonlRecord([new("taskname", "sentiment"), new("sentence", sentence), new("label", positive ? " increased" : " decreased")], i + 1);
        }).ToList();
    }

    public static string Write(TemporaryDirectory folder, string name, int count, int seed)
    {
        var path = folder.File(name);
        File.WriteAllLines(path, Records(count, seed).Select(r => PythonJson.JsonDumps.EncodeObject(r.Fields)));
        return path;
    }
}
