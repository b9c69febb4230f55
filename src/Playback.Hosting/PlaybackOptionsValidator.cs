using Microsoft.Extensions.Options;

namespace Playback.Hosting;

/// <summary>Validates <see cref="PlaybackOptions"/> at startup: one failure per problem, naming the setting, never a secret.</summary>
internal sealed class PlaybackOptionsValidator(PlaybackWebhookRoute route) : IValidateOptions<PlaybackOptions>
{
    public ValidateOptionsResult Validate(string? name, PlaybackOptions options)
    {
        var problems = new List<string>();
        if (options.MaxWebhookBodyBytes <= 0)
        {
            problems.Add("Playback:MaxWebhookBodyBytes must be greater than 0");
        }

        options.PublicBase(problems);
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
}
