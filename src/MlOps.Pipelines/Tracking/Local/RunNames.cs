using System.Globalization;

namespace MlOps.Pipelines.Tracking.Local;

/// <summary>MLflow's generated run names (<c>mlflow/utils/name_utils.py</c>): <c>&lt;adjective&gt;-&lt;noun&gt;-&lt;0..999&gt;</c>.</summary>
internal static class RunNames
{
    static readonly string[] Adjectives =
    [
        "abundant", "able", "adaptable", "adorable", "agreeable", "amazing", "auspicious", "awesome", "beautiful", "bemused",
        "bold", "brawny", "bright", "calm", "capable", "caring", "casual", "chill", "classy", "clean", "clever", "crawling",
        "dapper", "debonair", "delicate", "efficient", "enchanting", "fearless", "funny", "gentle", "gifted", "glamorous",
        "gregarious", "handsome", "honorable", "illustrious", "industrious", "invincible", "judicious", "kindly", "languid",
        "learned", "legendary", "likeable", "loud", "luminous", "luxuriant", "magnificent", "marvelous", "masked", "melodic",
        "merciful", "mercurial", "monumental", "mysterious", "nebulous", "nervous", "omniscient", "orderly", "overjoyed",
        "peaceful", "polite", "popular", "powerful", "puzzled", "redolent", "resilient", "rogue", "rumbling", "salty",
        "secretive", "selective", "sedate", "serious", "shivering", "skillful", "sincere", "smiling", "spiffy", "stately",
        "suave", "stylish", "tasteful", "thoughtful", "thundering", "traveling", "treasured", "trusting", "unequaled",
        "upbeat", "unique", "unruly", "valuable", "vaunted", "victorious", "welcoming", "whimsical", "wise", "worried", "wistful",
    ];

    static readonly string[] Nouns =
    [
        "ant", "ape", "asp", "auk", "bass", "bat", "bear", "bee", "bird", "boar", "bug", "calf", "carp", "cat", "chimp", "cod",
        "colt", "conch", "cow", "crab", "crane", "croc", "crow", "cub", "deer", "doe", "dog", "dolphin", "donkey", "dove",
        "duck", "eel", "elk", "fawn", "finch", "fish", "flea", "fly", "foal", "fowl", "fox", "frog", "gnat", "gnu", "goat",
        "goose", "grouse", "grub", "gull", "hare", "hawk", "hen", "hog", "horse", "hound", "jay", "kit", "kite", "koi", "lamb",
        "lark", "loon", "lynx", "mare", "midge", "mink", "mole", "moose", "moth", "mouse", "mule", "newt", "owl", "ox",
        "panda", "penguin", "perch", "pig", "pug", "quail", "ram", "rat", "ray", "robin", "roo", "rook", "seal", "shad",
        "shark", "sheep", "shoat", "shrew", "shrike", "shrimp", "skink", "skunk", "sloth", "slug", "smelt", "snail", "snake",
        "snipe", "sow", "sponge", "squid", "squirrel", "stag", "steed", "stoat", "stork", "swan", "tern", "toad", "trout",
        "turtle", "vole", "wasp", "whale", "wolf", "worm", "wren", "yak", "zebra",
    ];

    public static string Generate() =>
        string.Create(CultureInfo.InvariantCulture, $"{Adjectives[Random.Shared.Next(Adjectives.Length)]}-{Nouns[Random.Shared.Next(Nouns.Length)]}-{Random.Shared.Next(1000)}");
}
