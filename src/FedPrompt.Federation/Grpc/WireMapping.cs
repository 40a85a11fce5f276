using FedPrompt.Federation.Messages;
using FedPrompt.Federation.Protocol;
using Google.Protobuf;

namespace FedPrompt.Federation.Grpc;

/// <summary>
/// The one place where the server's and site's records meet the protobuf messages of
/// <c>Protos/federation.proto</c>, both ways. The wire's task kinds are the same numbers as
/// <see cref="SiteTaskKind"/>; an unknown one passes through and is refused where it is read.
/// </summary>
public static class WireMapping
{
    public static TaskHeader ToWire(this SiteTask task)
    {
        var header = new TaskHeader
        {
            Kind = (TaskKind)task.Kind, JobId = task.JobId, TaskId = task.TaskId, Round = task.Round, ConfigJson = task.ConfigJson,
            Payload = task.Payload?.ToWire(), RetryAfterMs = (uint)task.RetryAfter.TotalMilliseconds, SecureAggregation = task.SecureAggregation,
            Attempt = task.Attempt,
        };
        header.Participants.AddRange(task.Participants.Select(p => new Protocol.ParticipantKey { Site = p.Site, PublicKey = ByteString.CopyFrom(p.PublicKey) }));
        return header;
    }

    public static SiteTask FromWire(this TaskHeader header) => new()
    {
        Kind = (SiteTaskKind)header.Kind, JobId = header.JobId, TaskId = header.TaskId, Round = header.Round, ConfigJson = header.ConfigJson,
        Payload = header.Payload?.FromWire(), RetryAfter = TimeSpan.FromMilliseconds(header.RetryAfterMs), SecureAggregation = header.SecureAggregation,
        Participants = header.Participants.Select(p => new AnnouncedKey(p.Site, p.PublicKey.ToByteArray())).ToList(),
        Attempt = header.Attempt,
    };

    public static ResultHeader ToWire(this SiteResult result)
    {
        var header = new ResultHeader
        {
            Session = result.Session, JobId = result.JobId, TaskId = result.TaskId, Round = result.Round, Kind = (TaskKind)result.Kind,
            Failed = result.Failed, Error = result.Error, Steps = result.Steps, Payload = result.Payload?.ToWire(), SiteInfoJson = result.SiteInfoJson,
            PublicKey = ByteString.CopyFrom(result.PublicKey), Attempt = result.Attempt,
        };
        foreach (var (name, value) in result.Metrics) header.Metrics[name] = value;
        return header;
    }

    public static SiteResult FromWire(this ResultHeader header) => new()
    {
        Session = header.Session, JobId = header.JobId, TaskId = header.TaskId, Round = header.Round, Kind = (SiteTaskKind)header.Kind,
        Failed = header.Failed, Error = header.Error, Steps = header.Steps, Metrics = new Dictionary<string, double>(header.Metrics),
        Payload = header.Payload?.FromWire(), SiteInfoJson = header.SiteInfoJson, PublicKey = header.PublicKey.ToByteArray(), Attempt = header.Attempt,
    };

    public static PayloadInfo ToWire(this PayloadDescription payload) => new() { Size = (ulong)payload.Size, Sha256 = payload.Sha256 };

    /// <summary>A size beyond what a long holds is announced as long.MaxValue, which every limit refuses.</summary>
    public static PayloadDescription FromWire(this PayloadInfo payload) => new(payload.Size > long.MaxValue ? long.MaxValue : (long)payload.Size, payload.Sha256);

    public static HelloRequest ToWire(this SiteHello hello) =>
        new() { ProtocolVersion = hello.ProtocolVersion, SoftwareVersion = hello.SoftwareVersion, PreviousSession = hello.PreviousSession };

    public static SiteHello FromWire(this HelloRequest request) => new(request.ProtocolVersion, request.SoftwareVersion, request.PreviousSession);

    public static HelloReply ToWire(this SiteWelcome welcome) => new()
    {
        ProtocolVersion = welcome.ProtocolVersion, Session = welcome.Session,
        HeartbeatIntervalMs = (uint)welcome.HeartbeatInterval.TotalMilliseconds, MaxChunkBytes = (uint)welcome.MaxChunkBytes,
    };

    public static SiteWelcome FromWire(this HelloReply reply) =>
        new(reply.ProtocolVersion, reply.Session, TimeSpan.FromMilliseconds(reply.HeartbeatIntervalMs), (int)Math.Min(int.MaxValue, reply.MaxChunkBytes));

    public static HeartbeatRequest ToWire(this SiteHeartbeat heartbeat) => new() { Session = heartbeat.Session, TaskId = heartbeat.TaskId };

    public static SiteHeartbeat FromWire(this HeartbeatRequest request) => new(request.Session, request.TaskId);

    public static HeartbeatReply ToWire(this HeartbeatAnswer answer) => new() { Known = answer.Known, AbandonTask = answer.AbandonTask };

    public static HeartbeatAnswer FromWire(this HeartbeatReply reply) => new(reply.Known, reply.AbandonTask);

    public static ResultReply ToWire(this ResultVerdict verdict) => new() { Accepted = verdict.Accepted, Reason = verdict.Reason };

    public static ResultVerdict FromWire(this ResultReply reply) => new(reply.Accepted, reply.Reason);

    public static JobReply ToWire(this JobAnswer answer) => new() { Ok = answer.Ok, JobId = answer.JobId, Message = answer.Message };
}
