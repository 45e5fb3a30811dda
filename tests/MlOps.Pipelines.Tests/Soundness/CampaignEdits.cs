using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace MlOps.Pipelines.Soundness;

/// <summary>One generated single edit of one of the campaign's sources.</summary>
/// <param name="Kind">constant, operator, swap, delete, boolean, string or comment.</param>
/// <param name="Site">Where: "library" or "pipeline", then the enclosing type and member.</param>
sealed record CampaignEdit(int Index, string Kind, bool InLibrary, string Site, string Description, string EditedSource)
{
    /// <summary>By construction no target runs this code (or the edit is a comment): a key change is a needless rerun.</summary>
    public bool Unreachable => Kind == "comment" || Site.Contains("Unreached", StringComparison.Ordinal);

    /// <summary>An override of a virtual a target calls, in a type no target constructs: the walk keeps it (class hierarchy).</summary>
    public bool UnusedOverride => Site.Contains("UnusedSquare", StringComparison.Ordinal);
}

/// <summary>Generates every single edit of the kinds the campaign tries, at every place in a source where it applies.</summary>
static class CampaignEdits
{
    public static List<CampaignEdit> All()
    {
        var edits = new List<CampaignEdit>();
        Generate(CampaignSources.Library, inLibrary: true, edits);
        Generate(CampaignSources.Pipeline, inLibrary: false, edits);
        return edits;
    }

    static void Generate(string source, bool inLibrary, List<CampaignEdit> edits)
    {
        var root = CSharpSyntaxTree.ParseText(source).GetRoot();
        void Add(string kind, SyntaxNode at, string description, SyntaxNode edited) =>
            edits.Add(new CampaignEdit(edits.Count, kind, inLibrary, Site(at, inLibrary), description, edited.ToFullString()));

        foreach (var literal in root.DescendantNodes().OfType<LiteralExpressionSyntax>())
        {
            if (literal.Ancestors().Any(a => a is AttributeSyntax or UsingDirectiveSyntax)) continue;
            switch (literal.Kind())
            {
                case SyntaxKind.NumericLiteralExpression:
                    // Up and down: a bound off by one either way, a factor a little larger or smaller.
                    foreach (var step in new[] { 1, -1 })
                    {
                        var bumped = literal.Token.Value is int number ? (number + step).ToString(System.Globalization.CultureInfo.InvariantCulture)
                            : literal.Token.Value is double real ? Real(real + step * 0.5) : null;
                        if (bumped is null || bumped.StartsWith('-')) continue;
                        Add("constant", literal, $"{literal.Token.ValueText} → {bumped}", root.ReplaceNode(literal, SyntaxFactory.ParseExpression(bumped).WithTriviaFrom(literal)));
                    }
                    break;
                case SyntaxKind.TrueLiteralExpression or SyntaxKind.FalseLiteralExpression:
                    var flipped = literal.IsKind(SyntaxKind.TrueLiteralExpression) ? "false" : "true";
                    Add("boolean", literal, $"{literal} → {flipped}", root.ReplaceNode(literal, SyntaxFactory.ParseExpression(flipped).WithTriviaFrom(literal)));
                    break;
                case SyntaxKind.StringLiteralExpression when literal.Token.ValueText.Length > 0:
                    var longer = SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(literal.Token.ValueText + "x"));
                    Add("string", literal, $"{literal} → {longer}", root.ReplaceNode(literal, longer.WithTriviaFrom(literal)));
                    break;
            }
        }

        foreach (var binary in root.DescendantNodes().OfType<BinaryExpressionSyntax>())
        {
            if (Swapped(binary.OperatorToken.Kind()) is not { } other) continue;
            var edited = binary.WithOperatorToken(SyntaxFactory.Token(other).WithTriviaFrom(binary.OperatorToken));
            Add("operator", binary, $"{binary.OperatorToken.Text} → {SyntaxFactory.Token(other).Text} in {binary}", root.ReplaceNode(binary, edited));
        }

        foreach (var block in root.DescendantNodes().OfType<BlockSyntax>())
            for (var i = 0; i + 1 < block.Statements.Count; i++)
            {
                var (first, second) = (block.Statements[i], block.Statements[i + 1]);
                var statements = block.Statements.ToList();
                statements[i] = second.WithTriviaFrom(first);
                statements[i + 1] = first.WithTriviaFrom(second);
                Add("swap", first, $"swap '{first.ToString().Split('\n')[0].Trim()}' and '{second.ToString().Split('\n')[0].Trim()}'",
                    root.ReplaceNode(block, block.WithStatements(SyntaxFactory.List(statements))));
            }

        foreach (var block in root.DescendantNodes().OfType<BlockSyntax>())
            foreach (var statement in block.Statements.Where(_ => block.Statements.Count > 1))
                Add("delete", statement, $"delete '{statement.ToString().Split('\n')[0].Trim()}'", root.RemoveNode(statement, SyntaxRemoveOptions.KeepNoTrivia)!);

        // A comment line: shifts every later line, so the debug information (and a deterministic build's module id) changes, not the IL.
        foreach (var member in root.DescendantNodes().OfType<MemberDeclarationSyntax>().Where(m => m is MethodDeclarationSyntax or PropertyDeclarationSyntax or FieldDeclarationSyntax).Take(12))
        {
            var commented = member.WithLeadingTrivia(member.GetLeadingTrivia().Insert(0, SyntaxFactory.Comment("// an edited comment\n")));
            Add("comment", member, "a comment line above", root.ReplaceNode(member, commented));
        }
    }

    static string Real(double value) =>
        value.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + (value == Math.Floor(value) ? ".0" : "");

    static SyntaxKind? Swapped(SyntaxKind kind) => kind switch
    {
        SyntaxKind.PlusToken => SyntaxKind.MinusToken,
        SyntaxKind.MinusToken => SyntaxKind.PlusToken,
        SyntaxKind.AsteriskToken => SyntaxKind.SlashToken,
        SyntaxKind.SlashToken => SyntaxKind.AsteriskToken,
        SyntaxKind.PercentToken => SyntaxKind.AsteriskToken,
        SyntaxKind.LessThanToken => SyntaxKind.LessThanEqualsToken,
        SyntaxKind.LessThanEqualsToken => SyntaxKind.LessThanToken,
        SyntaxKind.GreaterThanToken => SyntaxKind.GreaterThanEqualsToken,
        SyntaxKind.GreaterThanEqualsToken => SyntaxKind.GreaterThanToken,
        SyntaxKind.EqualsEqualsToken => SyntaxKind.ExclamationEqualsToken,
        SyntaxKind.ExclamationEqualsToken => SyntaxKind.EqualsEqualsToken,
        _ => null,
    };

    static string Site(SyntaxNode node, bool inLibrary)
    {
        var type = node.AncestorsAndSelf().OfType<BaseTypeDeclarationSyntax>().FirstOrDefault()?.Identifier.Text ?? "?";
        var member = node.AncestorsAndSelf().OfType<MemberDeclarationSyntax>().FirstOrDefault(m => m is not BaseTypeDeclarationSyntax) switch
        {
            MethodDeclarationSyntax method => method.Identifier.Text,
            PropertyDeclarationSyntax property => property.Identifier.Text,
            ConstructorDeclarationSyntax => ".ctor",
            FieldDeclarationSyntax field => field.Declaration.Variables.First().Identifier.Text,
            _ => "",
        };
        return $"{(inLibrary ? "library" : "pipeline")} {type}.{member}";
    }
}
