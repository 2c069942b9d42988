"""Composition of the core: knowledge, storage, rendering and the use-case services, opened and closed together."""

from __future__ import annotations

from dataclasses import dataclass

from bot.kernel.clock import SYSTEM, Clock, Today, today_of, vn_today
from bot.kernel.config import DEFAULT_KNOWLEDGE, Config
from bot.kernel.render import Renderer
from bot.papi.figures import FiguresSource, Metric
from bot.papi.survey_form import SURVEY_FILE, Survey, SurveyError, load_survey
from bot.papi.tasks import TaskBookError
from bot.store.storage import Storage
from bot.understanding.brain import Brain
from bot.understanding.cache import KnowledgeCache
from bot.understanding.learn import LearnedFormatError
from bot.usecases.accounts import Accounts
from bot.usecases.admin import AdminService
from bot.usecases.changes import notify_passed
from bot.usecases.citizen import CitizenService
from bot.usecases.console import Console
from bot.usecases.corrections import InboxService
from bot.usecases.feedback import FeedbackService
from bot.usecases.learned import LearnedKnowledge, import_once, stored_document
from bot.usecases.notify import Officers
from bot.usecases.plan_import import seed_plan
from bot.usecases.planning import PlanService
from bot.usecases.review import Review
from bot.usecases.staff import StaffService, load_staff_figures
from bot.usecases.survey import SurveyService
from bot.usecases.voice import voice_sources
from knowledge.loader import LEARNED_FILE, KnowledgeError


@dataclass
class Services:
    """Everything a channel needs; built once at start-up, closed at shutdown."""

    config: Config
    brain: Brain
    storage: Storage
    renderer: Renderer
    officers: Officers
    citizen: CitizenService
    staff: StaffService
    admin: AdminService
    inbox: InboxService
    plan: PlanService
    learned: LearnedKnowledge
    survey: SurveyService
    feedback: FeedbackService
    accounts: Accounts
    console: Console
    review: Review
    clock: Clock = SYSTEM  # the one clock every service reads the time from (tests pass a FixedClock)
    today: Today = vn_today  # the date dated changes are judged on: the clock's, unless a test pins a day

    async def close(self) -> None:
        """Release the database."""
        await self.storage.close()

    async def purge_expired(self) -> int:
        """Erase what citizens left longer ago than the retention period, as the clock tells it; rows erased."""
        return await self.storage.retention.purge(self.clock.now() - self.config.retention_days * 86400)

    async def dated_changes(self) -> int:
        """Tell the officers, once each, of the dated changes that passed while their topic was not checked again."""
        return await notify_passed(self.brain.kb, self.officers, self.today())


async def _brain(config: Config, storage: Storage) -> tuple[Brain, int]:
    """The knowledge folder with the learned items of the database (imported once from a learned.yaml)."""
    try:
        await import_once(storage, config.learned_file, config.knowledge_dir / LEARNED_FILE, config.knowledge_dir)
    except LearnedFormatError as exc:
        raise KnowledgeError([f"{config.learned_file}: {exc}"]) from exc
    version, document = await stored_document(storage)
    brain = Brain(config.knowledge_dir, config.answer_threshold, config.suggest_threshold, document,
                  KnowledgeCache(config.data_dir))
    return brain, version


def survey_of(config: Config) -> Survey:
    """The satisfaction survey of the knowledge folder (the shipped one when that folder has none); a broken
    survey.yaml stops start-up like broken knowledge."""
    path = config.knowledge_dir / SURVEY_FILE
    try:
        return load_survey(path if path.exists() else DEFAULT_KNOWLEDGE / SURVEY_FILE)
    except SurveyError as exc:
        raise KnowledgeError([str(exc)]) from exc


def staff_service(plan: PlanService, metrics: list[Metric], figures: FiguresSource, storage: Storage,
                  renderer: Renderer, survey: Survey, clock: Clock = SYSTEM) -> StaffService:
    """The staff service with every live source: the reply queue, then the survey and the feedback register."""
    staff = StaffService(plan, metrics, figures, storage, renderer, clock)
    staff.live_sources.extend(voice_sources(storage, survey, plan))
    return staff


async def open_plan(config: Config, storage: Storage, today: Today) -> PlanService:
    """The plan service; a database without any plan gets the tasks.yaml of the data directory (else the shipped
    one) as its first period, with the statuses officers recorded before periods existed."""
    try:
        await seed_plan(storage, config.staff_file("tasks.yaml"), today(), await storage.plan.task_overrides())
    except TaskBookError as exc:
        raise KnowledgeError([str(exc)]) from exc
    return PlanService(storage, today)


async def open_services(config: Config, today: Today | None = None, clock: Clock = SYSTEM) -> Services:
    """Open the database, load the knowledge with what officers taught (refusing a broken one), wire the services
    to the one `clock`; `today` (by default the clock's date in Vietnam) gives the date replies and pages judge
    dated changes and the plan's due dates on."""
    today = today or today_of(clock)
    renderer = Renderer(config.knowledge_dir / "templates")
    metrics, figures = load_staff_figures(config.staff_file("metrics.yaml"))
    survey = survey_of(config)
    storage: Storage = await Storage.open(config, clock)
    try:
        brain, version = await _brain(config, storage)
        plan = await open_plan(config, storage, today)
    except BaseException:
        await storage.close()
        raise
    learned = LearnedKnowledge(brain, storage, version)
    officers = Officers(storage, renderer, config.admin_chat_id, web_url=config.web_url, clock=clock)
    surveys = SurveyService(survey, storage, renderer, today)
    staff = staff_service(plan, metrics, figures, storage, renderer, survey, clock)
    return Services(
        config=config,
        brain=brain,
        storage=storage,
        renderer=renderer,
        officers=officers,
        citizen=CitizenService(brain, storage, renderer, officers, learned, config.retention_days,
                               config.doubt_margin, today, clock),
        staff=staff,
        admin=AdminService(brain, storage, renderer, learned, surveys, clock),
        inbox=InboxService(storage, renderer),
        plan=plan,
        learned=learned,
        survey=surveys,
        feedback=FeedbackService(storage, renderer, officers),
        accounts=Accounts(storage, clock),
        console=Console(storage, staff, plan),
        review=Review(storage, learned),
        clock=clock,
        today=today,
    )
