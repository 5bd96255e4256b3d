// SPDX-License-Identifier: GPL-3.0-or-later
#include "history/historypage.h"

#include "engine/runner.h"
#include "value/value.h"
#include "widgets/valuetext.h"
#include "widgets/async.h"
#include "widgets/palettecolors.h"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSaveFile>
#include <QStandardItemModel>
#include <QTableView>
#include <QVBoxLayout>

namespace Sluice {

namespace {

/** A value for the timeline's cells and CSV: empty when there was none (the caller shows "∅"). */
QString decoded(const std::optional<QByteArray> &encoded)
{
    return encoded ? encodedValueText(encoded) : QString();
}

QString csvField(const QString &text)
{
    if (!text.contains(u',') && !text.contains(u'"') && !text.contains(u'\n') && !text.contains(u'\r'))
        return text;
    return u'"' + QString(text).replace(u'"', QStringLiteral("\"\"")) + u'"';
}

} // namespace

HistoryPage::HistoryPage(QWidget *parent)
    : QWidget(parent)
    , m_search(new QLineEdit)
    , m_sync(new QComboBox)
    , m_export(new QPushButton(tr("Export CSV…")))
    , m_summary(new QLabel)
    , m_table(new QTableView)
    , m_model(new QStandardItemModel(this))
{
    setObjectName(QStringLiteral("historyPage"));
    m_search->setObjectName(QStringLiteral("historySearch"));
    m_search->setPlaceholderText(tr("Warehouse key or destination record id, then Enter"));
    m_search->setClearButtonEnabled(true);
    connect(m_search, &QLineEdit::returnPressed, this, [this] { search(m_search->text()); });
    m_sync->setObjectName(QStringLiteral("historySyncFilter"));
    m_sync->addItem(tr("All syncs"), QString());
    connect(m_sync, &QComboBox::currentIndexChanged, this, [this] {
        if (!m_search->text().trimmed().isEmpty())
            search(m_search->text());
    });
    m_export->setObjectName(QStringLiteral("historyExportButton"));
    m_export->setEnabled(false);
    connect(m_export, &QPushButton::clicked, this, &HistoryPage::chooseExportFile);
    m_summary->setObjectName(QStringLiteral("historySummary"));
    m_summary->setTextFormat(Qt::PlainText);

    auto *top = new QHBoxLayout;
    top->setSpacing(8);
    top->addWidget(m_search, 1);
    top->addWidget(m_sync);
    top->addWidget(m_export);

    m_model->setHorizontalHeaderLabels({tr("Time"), tr("Sync"), tr("Run"), tr("Key"), tr("Field"), tr("Old value"),
                                        tr("New value"), tr("Result"), tr("Code / message")});
    m_table->setObjectName(QStringLiteral("historyTable"));
    m_table->setModel(m_model);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->setShowGrid(false);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 12);
    m_table->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    m_table->horizontalHeader()->setHighlightSections(false);
    m_table->horizontalHeader()->setStretchLastSection(true);
    const int em = m_table->fontMetrics().horizontalAdvance(u'M');
    const int widths[] = {em * 10, em * 13, em * 3, em * 4, em * 8, em * 10, em * 10, em * 5};
    for (int column = 0; column < int(std::size(widths)); ++column)
        m_table->setColumnWidth(column, widths[column]);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(10);
    layout->addLayout(top);
    layout->addWidget(m_summary);
    layout->addWidget(m_table, 1);
    m_summary->setText(tr("Type a key and press Enter to read every write ever made to that record."));
}

void HistoryPage::setWorkspace(const Workspace &workspace)
{
    m_workspace = workspace;
    m_hasWorkspace = true;
    const QString current = m_sync->currentData().toString();
    const QSignalBlocker blocker(m_sync);
    m_sync->clear();
    m_sync->addItem(tr("All syncs"), QString());
    for (const SyncDefinition &sync : workspace.syncs)
        m_sync->addItem(sync.name, sync.name);
    m_sync->setCurrentIndex(qMax(0, m_sync->findData(current)));
}

void HistoryPage::search(const QString &text)
{
    const QString key = text.trimmed();
    if (m_search->text() != text)
        m_search->setText(text);
    if (!m_hasWorkspace || key.isEmpty())
        return;
    const quint64 token = ++m_token;
    // "" (not a null string, which binds as SQL NULL) means every sync.
    const QString sync = m_sync->currentData().toString().isEmpty() ? QStringLiteral("") : m_sync->currentData().toString();
    m_summary->setText(tr("Looking up %1…").arg(key));
    runAsync(this, m_pool,
             [workspace = m_workspace, sync, key]() -> Result<QList<AuditEntry>> {
                 auto store = openStateStore(workspace);
                 if (!store)
                     return tl::make_unexpected(store.error());
                 return (*store)->history(sync, key);
             },
             [this, token, key](const Result<QList<AuditEntry>> &entries) { apply(token, key, entries); });
}

void HistoryPage::apply(quint64 token, const QString &key, const Result<QList<AuditEntry>> &entries)
{
    if (token != m_token)
        return;
    m_model->removeRows(0, m_model->rowCount());
    m_entries.clear();
    if (!entries) {
        m_summary->setText(tr("Could not read the history of %1: %2").arg(key, entries.error().message));
        m_export->setEnabled(false);
        Q_EMIT historyLoaded();
        return;
    }
    m_entries = *entries;
    const QPalette pal = palette();
    for (const AuditEntry &e : m_entries) {
        QList<QStandardItem *> row;
        row << new QStandardItem(QLocale().toString(e.at.toLocalTime(), QStringLiteral("yyyy-MM-dd HH:mm:ss")))
            << new QStandardItem(e.sync) << new QStandardItem(QString::number(e.runId))
            << new QStandardItem(e.destinationId.isEmpty() || e.destinationId == e.key
                                     ? e.key
                                     : QStringLiteral("%1 → %2").arg(e.key, e.destinationId))
            << new QStandardItem(e.field) << new QStandardItem(e.oldValue ? decoded(e.oldValue) : QStringLiteral("∅"))
            << new QStandardItem(e.newValue ? decoded(e.newValue) : QStringLiteral("∅")) << new QStandardItem(e.result)
            << new QStandardItem(e.result == u"rejected" ? QStringLiteral("%1 %2: %3").arg(e.category, e.code, e.message)
                                                         : QString());
        row[TimeColumn]->setToolTip(QLocale().toString(e.at.toLocalTime(), QLocale::LongFormat));
        row[RunColumn]->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        row[OldColumn]->setForeground(mutedColor(pal));
        row[OldColumn]->setToolTip(row[OldColumn]->text());
        row[NewColumn]->setToolTip(row[NewColumn]->text());
        row[CodeColumn]->setToolTip(row[CodeColumn]->text());
        if (e.result == u"rejected") {
            row[ResultColumn]->setForeground(negativeColor(pal));
            row[CodeColumn]->setForeground(negativeColor(pal));
        } else if (e.result == u"applied") {
            row[ResultColumn]->setForeground(positiveColor(pal));
        }
        m_model->appendRow(row);
    }
    if (!m_entries.isEmpty())
        fitColumnsToContents(m_table, 18);
    const int n = int(m_entries.size());
    m_summary->setText(n == 0 ? tr("No writes recorded for %1.").arg(key)
                              : n == 1 ? tr("1 write to %1, newest first.").arg(key)
                                       : tr("%1 writes to %2, newest first.").arg(n).arg(key));
    m_export->setEnabled(n > 0);
    Q_EMIT historyLoaded();
}

QByteArray HistoryPage::csv() const
{
    QStringList lines;
    lines << QStringLiteral("time,sync,run,definition,key,destination_id,field,old,new,result,category,code,message");
    for (const AuditEntry &e : m_entries) {
        const QStringList fields{e.at.toUTC().toString(Qt::ISODateWithMs),
                                 e.sync,
                                 QString::number(e.runId),
                                 e.definitionHash,
                                 e.key,
                                 e.destinationId,
                                 e.field,
                                 decoded(e.oldValue),
                                 decoded(e.newValue),
                                 e.result,
                                 e.category,
                                 e.code,
                                 e.message};
        QStringList quoted;
        for (const QString &field : fields)
            quoted.append(csvField(field));
        lines << quoted.join(u',');
    }
    return (lines.join(QStringLiteral("\r\n")) + QStringLiteral("\r\n")).toUtf8();
}

void HistoryPage::exportCsv(const QString &path)
{
    runAsync(this, m_pool,
             [path, data = csv()]() -> QString {
                 QSaveFile file(path);
                 if (!file.open(QIODevice::WriteOnly) || file.write(data) != data.size() || !file.commit())
                     return file.errorString().isEmpty() ? QStringLiteral("write failed") : file.errorString();
                 return {};
             },
             [this, path](const QString &error) {
                 Q_EMIT exported(error.isEmpty(),
                                 error.isEmpty() ? tr("Exported %1 writes to %2").arg(m_entries.size()).arg(QDir::toNativeSeparators(path))
                                                 : tr("Could not write %1: %2").arg(QDir::toNativeSeparators(path), error));
             });
}

void HistoryPage::chooseExportFile()
{
    const QString key = m_search->text().trimmed();
    const QString path = QFileDialog::getSaveFileName(this, tr("Export History"),
                                                      QDir::home().filePath(QStringLiteral("history-%1.csv").arg(key)),
                                                      tr("CSV files (*.csv)"));
    if (!path.isEmpty())
        exportCsv(path);
}

} // namespace Sluice
