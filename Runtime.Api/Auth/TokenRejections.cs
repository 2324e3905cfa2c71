using Runtime.Grains.Tokens;

namespace Runtime.Api.Auth;

/// <summary>What to tell a caller whose token was refused, whether it came as a bearer header or behind a browser session.</summary>
internal static class TokenRejections
{
    public static string Describe(TokenRejection rejection) => rejection switch
    {
        TokenRejection.Expired => "This token has expired. Create a new one (POST /api/workspaces/{workspace}/tokens) with a token that still works.",
        TokenRejection.Revoked => "This token was revoked. Ask a workspace Owner for a new one.",
        TokenRejection.MemberRemoved => "The member this token belongs to was removed from the workspace.",
        _ => "This token is not known. Check that it was copied whole (it starts with rt_), or create a new one.",
    };
}
