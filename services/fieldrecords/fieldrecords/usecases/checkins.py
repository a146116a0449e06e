"""Each filer's check-ins, whatever they were for (a record or a sampling trip): the impossible-travel
rule compares a check-in with the filer's previous one, so records and trips share this trail."""


def last_checkin(ctx, account_id):
    row = ctx.db["checkins"].find_one({"account_id": account_id}, {"_id": 0}, sort=[("at", -1)])
    if row is None:
        return None
    at = row["at"] if row["at"].tzinfo else row["at"].replace(tzinfo=ctx.now.tzinfo)
    return at, row["lng"], row["lat"]


def remember_checkin(ctx, actor, checkin, subject_id):
    ctx.db["checkins"].insert_one({"account_id": actor.account_id, "at": checkin["at"],
                                   "lng": checkin["wgs84"]["lng"], "lat": checkin["wgs84"]["lat"],
                                   "subject_id": subject_id, "stage": checkin["stage"]})
