namespace ChannelService.Tests;
public class SmokeTests { [Test] public void Runs() => Assert.That(1, Is.EqualTo(1)); }
