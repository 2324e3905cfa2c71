using Runtime.Execution.Docker;
using Xunit;

namespace Runtime.Tests.Docker;

public sealed class ImageReferenceTests
{
    [Theory]
    [InlineData("runtime-python", "runtime-python", "runtime-python", null)]
    [InlineData("runtime-python:3.11", "runtime-python", "runtime-python", "3.11")]
    [InlineData("localhost:5000/team/app:v1.2", "localhost:5000/team/app", "app", "v1.2")]
    [InlineData("registry.example.org/a_b/c__d-e.f:Tag_1", "registry.example.org/a_b/c__d-e.f", "c__d-e.f", "Tag_1")]
    public void ValidReferences_AreParsedIntoTheirParts(string text, string name, string repository, string? tag)
    {
        var reference = ImageReference.Parse(text, "image");

        Assert.Equal(name, reference.Name);
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.Tag);
    }

    [Fact]
    public void ADigest_IsParsed()
    {
        var digest = "sha256:" + new string('a', 64);

        var reference = ImageReference.Parse("example.org/app@" + digest, "image");

        Assert.Equal(digest, reference.Digest);
        Assert.Null(reference.Tag);
    }

    [Theory]
    [InlineData("Runtime-Python")]
    [InlineData("runtime python")]
    [InlineData("-runtime")]
    [InlineData("runtime-")]
    [InlineData("runtime:tag:again")]
    [InlineData("runtime@sha256:xyz")]
    [InlineData("runtime:-tag")]
    [InlineData("runtime//python")]
    public void InvalidReferences_AreRefusedNamingThem(string text)
    {
        Assert.Null(ImageReference.TryParse(text, out var problem));
        Assert.Equal($"'{text}' is not a valid Docker image reference ([registry/]name[:tag][@digest], the name in lower case)", problem);
        Assert.Equal("image", Assert.Throws<ArgumentException>(() => ImageReference.Parse(text, "image")).ParamName);
    }

    [Fact]
    public void TooLongNamesAndTags_AreRefused()
    {
        Assert.Null(ImageReference.TryParse("runtime:" + new string('t', 129), out _));
        Assert.Null(ImageReference.TryParse(new string('a', 256), out var problem));
        Assert.Contains("longer than 255 characters", problem);
        Assert.NotNull(ImageReference.TryParse("runtime:" + new string('t', 128), out _));
    }
}
