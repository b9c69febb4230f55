using Microsoft.Extensions.Options;

namespace Playback.Hosting;

/// <summary>Validates <see cref="PlaybackOptions"/> at startup: one failure per problem, naming the setting, never a secret.</summary>
internal sealed class PlaybackOptionsValidator(PlaybackWebhookRoute route) : IValidateOptions<PlaybackOptions>
{
    public ValidateOptionsResult Validate(string? name, PlaybackOptions options)
    {
        var problems = new List<string>();
        EndpointProblems(options, problems);
        try
        {
            options.ToSettings(route.Path).Validate();
        }
        catch (PlaybackConfigurationException e)
        {
            problems.AddRange(e.Problems);
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems.Distinct());
    }

    /// <summary>The problems of the options the webhook endpoint itself reads (its body limit, the public base URL it checks signatures against).</summary>
    internal static void EndpointProblems(PlaybackOptions options, List<string> problems)
    {
        if (options.MaxWebhookBodyBytes <= 0)
        {
            problems.Add("Playback:MaxWebhookBodyBytes must be greater than 0");
        }

        options.PublicBase(problems);
    }
}

/// <summary>
/// Validates, at startup, the options the webhook endpoint reads when the manager comes from Akka.Hosting (the
/// parameterless <c>AddPlayback()</c>, whose manager settings are validated where they are built).
/// </summary>
internal sealed class PlaybackEndpointOptionsValidator : IValidateOptions<PlaybackOptions>
{
    public ValidateOptionsResult Validate(string? name, PlaybackOptions options)
    {
        var problems = new List<string>();
        PlaybackOptionsValidator.EndpointProblems(options, problems);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems.Distinct());
    }
}
