-- The tables and stored queries Orleans' ADO.NET clustering and grain storage providers read
-- (provider invariant "Npgsql"). The providers load their statements from orleansquery by key and
-- bind parameters by name (@Name); they read results by column name. Written for this project from
-- the providers' query contract. Reminders are not used by SignalEngine (the time wheel replaces them).

create table orleansquery (
    querykey  varchar(64) primary key,
    querytext text        not null
);

-- Membership: one version row per cluster (deployment), and one row per silo incarnation.
create table orleans_membership_version (
    deploymentid varchar(150) primary key,
    "timestamp"  timestamptz  not null default now(),
    version      integer      not null default 0
);

create table orleans_membership (
    deploymentid varchar(150)  not null references orleans_membership_version (deploymentid),
    address      varchar(45)   not null,
    port         integer       not null,
    generation   integer       not null,
    siloname     varchar(150)  not null,
    hostname     varchar(150)  not null,
    status       integer       not null,
    proxyport    integer,
    suspecttimes varchar(8000),
    starttime    timestamptz   not null,
    iamalivetime timestamptz   not null,
    primary key (deploymentid, address, port, generation)
);

-- A member row and the table version change together or not at all: the insert and the version bump run in
-- one PL/pgSQL block, and a failed optimistic version check undoes both. Returns 1 on success, 0 on conflict.
create function se_orleans_insert_member(
    p_deployment text, p_address text, p_port integer, p_generation integer, p_silo_name text, p_host_name text,
    p_status integer, p_proxy_port integer, p_start timestamptz, p_alive timestamptz, p_version integer)
returns integer language plpgsql as $$
begin
    update orleans_membership_version set version = version + 1, "timestamp" = now()
     where deploymentid = p_deployment and version = p_version;
    if not found then return 0; end if;
    insert into orleans_membership (deploymentid, address, port, generation, siloname, hostname, status, proxyport, starttime, iamalivetime)
    values (p_deployment, p_address, p_port, p_generation, p_silo_name, p_host_name, p_status, p_proxy_port, p_start, p_alive);
    return 1;
exception when unique_violation then
    -- The whole block is rolled back, the version bump included.
    return 0;
end $$;

create function se_orleans_update_member(
    p_deployment text, p_address text, p_port integer, p_generation integer, p_status integer,
    p_suspect_times text, p_alive timestamptz, p_version integer)
returns integer language plpgsql as $$
begin
    update orleans_membership_version set version = version + 1, "timestamp" = now()
     where deploymentid = p_deployment and version = p_version;
    if not found then return 0; end if;
    update orleans_membership set status = p_status, suspecttimes = p_suspect_times, iamalivetime = p_alive
     where deploymentid = p_deployment and address = p_address and port = p_port and generation = p_generation;
    if not found then raise exception using errcode = 'P0002', message = 'membership row not found'; end if;
    return 1;
exception when sqlstate 'P0002' then
    return 0;
end $$;

insert into orleansquery (querykey, querytext) values
('InsertMembershipVersionKey', $q$
    with created as (
        insert into orleans_membership_version (deploymentid) values (@DeploymentId)
        on conflict (deploymentid) do nothing
        returning 1)
    select count(*)::integer from created
$q$),
('InsertMembershipKey', $q$
    select se_orleans_insert_member(@DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version)
$q$),
('UpdateMembershipKey', $q$
    select se_orleans_update_member(@DeploymentId, @Address, @Port, @Generation, @Status, @SuspectTimes, @IAmAliveTime, @Version)
$q$),
('UpdateIAmAlivetimeKey', $q$
    update orleans_membership set iamalivetime = @IAmAliveTime
     where deploymentid = @DeploymentId and address = @Address and port = @Port and generation = @Generation
$q$),
('MembershipReadAllKey', $q$
    select v.deploymentid as DeploymentId, m.address as Address, m.port as Port, m.generation as Generation,
           m.siloname as SiloName, m.hostname as HostName, m.status as Status, m.proxyport as ProxyPort,
           m.suspecttimes as SuspectTimes, m.starttime as StartTime, m.iamalivetime as IAmAliveTime, v.version as Version
      from orleans_membership_version v
      left join orleans_membership m on m.deploymentid = v.deploymentid
     where v.deploymentid = @DeploymentId
$q$),
('MembershipReadRowKey', $q$
    select v.deploymentid as DeploymentId, m.address as Address, m.port as Port, m.generation as Generation,
           m.siloname as SiloName, m.hostname as HostName, m.status as Status, m.proxyport as ProxyPort,
           m.suspecttimes as SuspectTimes, m.starttime as StartTime, m.iamalivetime as IAmAliveTime, v.version as Version
      from orleans_membership_version v
      left join orleans_membership m
        on m.deploymentid = v.deploymentid and m.address = @Address and m.port = @Port and m.generation = @Generation
     where v.deploymentid = @DeploymentId
$q$),
('GatewaysQueryKey', $q$
    select address as Address, proxyport as ProxyPort, generation as Generation
      from orleans_membership
     where deploymentid = @DeploymentId and status = @Status and proxyport > 0
$q$),
('DeleteMembershipTableEntriesKey', $q$
    with members as (delete from orleans_membership where deploymentid = @DeploymentId)
    delete from orleans_membership_version where deploymentid = @DeploymentId
$q$),
('CleanupDefunctSiloEntriesKey', $q$
    delete from orleans_membership
     where deploymentid = @DeploymentId and iamalivetime < @IAmAliveTime and status <> 3
$q$);

-- Grain state: one row per grain and service, with an integer version as the ETag.
create table orleans_grain_state (
    grainidhash            integer      not null,
    grainidn0              bigint       not null,
    grainidn1              bigint       not null,
    graintypehash          integer      not null,
    graintypestring        varchar(512) not null,
    grainidextensionstring varchar(512) not null default '',
    serviceid              varchar(150) not null,
    payloadbinary          bytea,
    modifiedon             timestamptz  not null default now(),
    version                integer      not null,
    primary key (grainidhash, graintypehash, grainidn0, grainidn1, graintypestring, grainidextensionstring, serviceid)
);

-- Writes return the new version; a returned version equal to the caller's ETag (or null) tells the
-- provider that someone else wrote first (optimistic concurrency).
insert into orleansquery (querykey, querytext) values
('WriteToStorageKey', $q$
    with created as (
        insert into orleans_grain_state (grainidhash, grainidn0, grainidn1, graintypehash, graintypestring, grainidextensionstring, serviceid, payloadbinary, version)
        select @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString, coalesce(@GrainIdExtensionString::varchar, ''), @ServiceId, @PayloadBinary, 1
         where @GrainStateVersion::integer is null
        on conflict do nothing
        returning version),
    updated as (
        update orleans_grain_state
           set payloadbinary = @PayloadBinary, version = version + 1, modifiedon = now()
         where grainidhash = @GrainIdHash and graintypehash = @GrainTypeHash and grainidn0 = @GrainIdN0 and grainidn1 = @GrainIdN1
           and graintypestring = @GrainTypeString and grainidextensionstring = coalesce(@GrainIdExtensionString::varchar, '')
           and serviceid = @ServiceId and version = @GrainStateVersion::integer
        returning version)
    select coalesce((select version from created), (select version from updated), @GrainStateVersion::integer) as NewGrainStateVersion
$q$),
('ReadFromStorageKey', $q$
    select payloadbinary as PayloadBinary, modifiedon as ModifiedOn, version as Version
      from orleans_grain_state
     where grainidhash = @GrainIdHash and graintypehash = @GrainTypeHash and grainidn0 = @GrainIdN0 and grainidn1 = @GrainIdN1
       and graintypestring = @GrainTypeString and grainidextensionstring = coalesce(@GrainIdExtensionString::varchar, '')
       and serviceid = @ServiceId
$q$),
('ClearStorageKey', $q$
    update orleans_grain_state set payloadbinary = null, version = version + 1, modifiedon = now()
     where grainidhash = @GrainIdHash and graintypehash = @GrainTypeHash and grainidn0 = @GrainIdN0 and grainidn1 = @GrainIdN1
       and graintypestring = @GrainTypeString and grainidextensionstring = coalesce(@GrainIdExtensionString::varchar, '')
       and serviceid = @ServiceId and version = @GrainStateVersion::integer
    returning version as NewGrainStateVersion
$q$),
('DeleteStorageKey', $q$
    delete from orleans_grain_state
     where grainidhash = @GrainIdHash and graintypehash = @GrainTypeHash and grainidn0 = @GrainIdN0 and grainidn1 = @GrainIdN1
       and graintypestring = @GrainTypeString and grainidextensionstring = coalesce(@GrainIdExtensionString::varchar, '')
       and serviceid = @ServiceId and version = @GrainStateVersion::integer
    returning version + 1 as NewGrainStateVersion
$q$);
